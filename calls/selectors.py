"""Read-side queries for calls, scoped to what a user may see."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from calls.models import AudioPrompt, Call
from incidents.selectors import incidents_for


def calls_for(user: User | AnonymousUser) -> QuerySet[Call]:
    """Calls of the incidents `user` may see, for anyone holding the call view permission."""
    if not user.has_perm("calls.view_call"):
        return Call.objects.none()
    return (
        Call.objects.filter(incident__in=incidents_for(user).order_by())
        .select_related("incident")
        .prefetch_related("participants__contact")
        .order_by("id")
    )


def get_call_for(user: User | AnonymousUser, call_id: int) -> Call:
    """The only way interfaces fetch one call for a user.

    Raises Call.DoesNotExist whether it is missing or not visible, so ids do not leak.
    """
    return calls_for(user).get(pk=call_id)


def default_prompt() -> AudioPrompt | None:
    """The prompt played when nobody chose one (at most one is the default), or None."""
    return AudioPrompt.objects.filter(is_default=True).first()


def offered_prompts() -> QuerySet[AudioPrompt]:
    """The prompts people choose from: not the one-off ones typed when declaring."""
    return AudioPrompt.objects.filter(one_off=False)
