"""Policy presets (admin site): their rules must work, and at most one is the default."""

from django.db import transaction

from callouts.models import CalloutPolicy
from callouts.policy import preset_rules


@transaction.atomic
def save_policy(*, policy: CalloutPolicy) -> CalloutPolicy:
    """Save the preset; making it the default takes that role from the previous default.

    Raises InvalidPolicy when its rules cannot work (call-outs would refuse to start by it).
    """
    preset_rules(policy)
    if policy.is_default:
        others = CalloutPolicy.objects.filter(is_default=True).exclude(pk=policy.pk)
        others.update(is_default=False)
    policy.save()
    return policy
