"""The report page and the reports across incidents, as a viewer sees them."""

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from calls.models import CallMode
from contacts.models import Contact, ContactGroup
from escalations.services.stepping import escalate_now
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry
from tests.escalations.scenario import A, B, declare, policy
from tests.factories import CallerNumberFactory, UserFactory
from tests.provider_fake import FakeProvider
from tests.reports.histories import CALLOUT_PEOPLE, at, bridge_history, callout_history, set_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def test_the_report_shows_figures_charts_with_text_and_the_timeline(
    pool: Any, provider: FakeProvider, client: Client
) -> None:
    set_rates()
    incident = callout_history().incident
    page = client.get(f"/incidents/{incident.pk}/report/").content.decode()
    assert '<dd data-figure="targeted">5</dd>' in page
    assert '<dd data-figure="p50">1:20</dd>' in page and '<dd data-figure="p90">2:56</dd>' in page
    assert page.count("<svg") == 3 and page.count("<desc") == 3
    assert "Attempts by outcome: acknowledged 3, no_answer 3, declined_by_key 1." in page
    assert "0.0910 EUR" in page and "0.0130 EUR per PSTN minute" in page
    assert 'id="escalations"' not in page  # it had no escalation policy
    assert "css/report.css" in page
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'href="/incidents/{incident.pk}/report/"' in detail


def test_the_report_lists_the_steps_the_escalation_took(
    provider: FakeProvider, client: Client
) -> None:
    CallerNumberFactory.create()
    made = policy(([A], CallMode.BROADCAST, 600), ([B], CallMode.BROADCAST, 0))
    operator = UserFactory.create(username="olga")
    with at(0):
        incident = declare(made)
    with at(60):
        escalate_now(incident=incident, actor=operator)
        # Other lines about escalating are the timeline's, not steps.
        add_timeline_entry(
            incident_id=incident.pk, kind=TimelineKind.ACTION, text="Escalating to the vendor too."
        )
    page = client.get(f"/incidents/{incident.pk}/report/").content.decode()
    steps = page.split('id="escalations"')[1].split("</ul>")[0]
    assert steps.count("<li>") == 2
    assert "(olga escalated now)." in steps
    assert "vendor" not in steps and "Escalating to the vendor too." in page


def test_the_bridge_report_draws_each_stretch(provider: FakeProvider, client: Client) -> None:
    incident = bridge_history()
    page = client.get(f"/incidents/{incident.pk}/report/").content.decode()
    lanes = page.split('aria-labelledby="bridge-title')[1].split("</svg>")[0]
    assert lanes.count('class="lane"') == 3
    assert "<td>+14255552001</td><td>0:05</td><td>0:50</td>" in page  # the text alternative
    assert "No call rates are set" in page


def test_the_reports_across_incidents_per_week_and_group(
    pool: Any, provider: FakeProvider, client: Client
) -> None:
    set_rates()
    oncall = ContactGroup.objects.create(name="On call")
    for number, name in zip(CALLOUT_PEOPLE[3:], ["Dee", "Eve"], strict=True):
        oncall.members.add(Contact.objects.create(name=name, phone_number=number))
    callout_history()
    bridge_history()
    page = client.get("/reports/", {"since": "2026-11-01", "until": "2026-12-01"}).content
    rows = page.decode().split("<tbody>")[1].split("</tr>")
    # All people: 2 incidents, acks after 7, 30, 80, 200 s; 5 of 8 reached.
    assert '<td>30 Nov 2026</td><td>All people</td><td class="num">2</td>' in rows[0]
    assert "0:55" in rows[0] and "62%" in rows[0] and "0.1340" in rows[0]
    # The group: Dee declined, Eve was not reached (rung twice, one incident).
    assert "<td>On call</td>" in rows[1] and "50%" in rows[1] and "<td>Eve (1)</td>" in rows[1]
    only = client.get("/reports/", {"since": "2026-11-01", "group": str(oncall.pk)})
    only_text = only.content.decode()
    assert "All people" not in only_text and "On call" in only_text
    minor = client.get("/reports/", {"since": "2026-11-01", "severity": "minor"}).content
    assert b"No incidents in this range." in minor
    bad = client.get("/reports/", {"since": "2026-12-05", "until": "2026-12-01"})
    assert b"The start of the range comes after its end." in bad.content
    assert date(2026, 11, 30).weekday() == 0
