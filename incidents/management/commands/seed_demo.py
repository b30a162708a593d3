"""Load the demo data `make run` starts with. Safe to run again: nothing is duplicated.

It lives in incidents, the app on top, because the demo spans accounts, contacts and calls.
"""

import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.roles import Role
from accounts.services import assign_role
from callouts.models import CallerNumber, CalloutPolicy
from callouts.services.presets import save_policy
from calls.models import AudioPrompt
from calls.services.prompts import save_prompt
from config.env import env_str
from contacts.models import Contact, ContactGroup
from integrations.models import Integration, IntegrationKind
from integrations.serializers import alert_url

DEFAULT_PROMPT_NAME = "Incident declared: press 1 to acknowledge"
DEFAULT_PROMPT_FILE = (
    Path(__file__).resolve().parents[3] / "calls" / "assets" / "default-prompt.wav"
)

# Fictional numbers (555-01xx is reserved for fiction in North America).
DEMO_CONTACTS = [
    ("Ada Lovelace", "+14255550101", ""),
    ("Grace Hopper", "+14255550102", ""),
    ("Alan Turing", "+14255550103", ""),
    ("Margaret Hamilton", "+14255550104", "8:acs:demo_margaret-hamilton"),
    ("Katherine Johnson", "", "8:acs:demo_katherine-johnson"),
]
DEMO_INTEGRATION = "Monitoring (generic JSON)"
DEMO_GROUPS = {
    "On-call engineers": ["Ada Lovelace", "Grace Hopper", "Alan Turing"],
    "Facilities": ["Margaret Hamilton", "Katherine Johnson", "Ada Lovelace"],
}
DEMO_USERS = [("operator", Role.OPERATOR), ("viewer", Role.VIEWER)]
# Broadcast call-outs call from this pool: 3 numbers x 2 calls at once (the ACS default).
# The first is ACS_CALLER_ID's default, so the emulator and a single-number setup agree.
DEMO_CALLER_NUMBERS = [
    ("+14255550100", "Demo line 1"),
    ("+14255550110", "Demo line 2"),
    ("+14255550120", "Demo line 3"),
]
# (name, tries, seconds between them, default)
DEMO_POLICIES = [
    ("Standard: 3 tries, 5 min apart", 3, 300, True),
    ("Urgent: 5 tries, 1 min apart", 5, 60, False),
]


class Command(BaseCommand):
    help = (
        "Create the demo superuser, operator and viewer accounts, contacts and groups, the "
        "call-outs' caller numbers and policy presets."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        password = env_str("DJANGO_SUPERUSER_PASSWORD")
        with transaction.atomic():
            created, password = self._ensure_users(password)
            self._ensure_contacts()
            self._ensure_default_prompt()
            self._ensure_callout_setup()
            integration = self._ensure_integration()
        self.stdout.write(
            f"Demo alert integration ({integration.get_kind_display()}): POST to "
            f"{alert_url(integration)}"
        )
        if created:
            self.stdout.write(self.style.SUCCESS("Demo accounts created:"))
            self.stdout.write(f"  admin / operator / viewer, password: {password}")
        else:
            self.stdout.write(
                "Demo data already present. Passwords are unchanged unless "
                "DJANGO_SUPERUSER_PASSWORD is set."
            )

    def _ensure_users(self, password: str) -> tuple[bool, str]:
        User = get_user_model()
        demo_users = User.objects.filter(username__in=["admin", *(u for u, _ in DEMO_USERS)])
        if demo_users.filter(username="admin").exists():
            if password:  # An explicit password wins, also on later runs.
                for user in demo_users:
                    user.set_password(password)
                    user.save(update_fields=["password"])
            return False, ""
        password = password or secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "admin@example.com", password)
        for username, role in DEMO_USERS:
            user = User.objects.create_user(username, f"{username}@example.com", password)
            assign_role(user=user, role=role)
        return True, password

    def _ensure_default_prompt(self) -> None:
        if AudioPrompt.objects.filter(name=DEFAULT_PROMPT_NAME).exists():
            return
        prompt = AudioPrompt(name=DEFAULT_PROMPT_NAME, is_default=True)
        with DEFAULT_PROMPT_FILE.open("rb") as wav:
            save_prompt(prompt=prompt, audio=File(wav, name=DEFAULT_PROMPT_FILE.name))

    def _ensure_callout_setup(self) -> None:
        for number, label in DEMO_CALLER_NUMBERS:
            CallerNumber.objects.get_or_create(
                number=number, defaults={"label": label, "max_simultaneous_calls": 2}
            )
        if CalloutPolicy.objects.exists():  # the admins' presets stay as they set them
            return
        for name, tries, wait, is_default in DEMO_POLICIES:
            save_policy(
                policy=CalloutPolicy(
                    name=name, max_attempts=tries, retry_wait_seconds=wait, is_default=is_default
                )
            )

    def _ensure_integration(self) -> Integration:
        integration, made = Integration.objects.get_or_create(
            name=DEMO_INTEGRATION, defaults={"kind": IntegrationKind.GENERIC}
        )
        if made:
            integration.groups.add(ContactGroup.objects.get(name="On-call engineers"))
        return integration

    def _ensure_contacts(self) -> None:
        contacts = {}
        for name, phone, acs_id in DEMO_CONTACTS:
            contacts[name], _ = Contact.objects.get_or_create(
                name=name, defaults={"phone_number": phone, "acs_user_id": acs_id}
            )
        for group_name, members in DEMO_GROUPS.items():
            group, _ = ContactGroup.objects.get_or_create(name=group_name)
            group.members.add(*(contacts[name] for name in members))
