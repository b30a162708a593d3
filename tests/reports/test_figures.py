"""Every figure of an incident's report, from incidents with known histories."""

from decimal import Decimal
from typing import Any

import pytest

from reports.cost import billed_minutes, current_rates
from reports.selectors import (
    acknowledgements_over_time,
    bridge_lanes,
    incident_report,
    percentile,
)
from tests.provider_fake import FakeProvider
from tests.reports.histories import (
    BRIDGE_PEOPLE,
    CALLOUT_PEOPLE,
    T0,
    bridge_history,
    callout_history,
    set_rates,
)

pytestmark = pytest.mark.django_db


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([30.0, 80.0, 200.0], 50) == 80.0
    assert percentile([30.0, 80.0, 200.0], 90) == pytest.approx(176.0)
    assert percentile([40.0, 10.0, 30.0, 20.0], 50) == 25.0


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (0.2, 1), (59.9, 1), (60, 1), (60.5, 2), (121, 3)]
)
def test_cost_is_per_started_minute(seconds: float, minutes: int) -> None:
    assert billed_minutes(seconds) == minutes


def test_a_callouts_figures(pool: Any, provider: FakeProvider) -> None:
    set_rates()
    callout = callout_history()
    report = incident_report(callout.incident, rates=current_rates())
    s = report.summary
    assert (s.targeted, s.reached, s.acknowledged, s.declined, s.not_reached) == (5, 4, 3, 1, 1)
    assert sorted(s.times_to_ack) == [30.0, 80.0, 200.0]
    assert s.time_to_first_ack == 30.0
    assert s.time_to_ack_p50 == 80.0
    assert s.time_to_ack_p90 == pytest.approx(176.0)
    assert s.outcomes == {"acknowledged": 3, "declined_by_key": 1, "no_answer": 3}
    assert s.first_responder is None  # nobody on a bridge
    assert report.duration_seconds == 300.0

    people = {p.identifier: p for p in report.people}
    assert [p.identifier for p in report.people] == CALLOUT_PEOPLE  # in calling order
    a, b, c, d, e = (people[n] for n in CALLOUT_PEOPLE)
    assert [leg.minutes for leg in a.legs] == [2] and a.legs[0].seconds == 60.5
    assert [(x.number, x.outcome) for x in c.attempts] == [(1, "no_answer"), (2, "acknowledged")]
    assert c.outcomes == "1 no_answer; 2 acknowledged"
    assert (c.time_to_ack_seconds, c.acknowledged_at) == (200.0, T0.replace(minute=3, second=20))
    assert d.declined and not d.acknowledged and d.keys_pressed == "2"
    assert not e.reached and e.legs == [] and e.cost == 0
    assert [p.cost for p in (a, b, c, d, e)] == [
        Decimal("0.0260"),
        Decimal("0.0260"),
        Decimal("0.0260"),
        Decimal("0.0130"),
        Decimal(0),
    ]
    assert s.minutes == 7
    assert s.cost == s.callout_cost == Decimal("0.0910") and s.bridge_cost == 0


def test_a_bridges_figures_and_swim_lane(provider: FakeProvider) -> None:
    set_rates()
    incident = bridge_history()
    report = incident_report(incident, rates=current_rates())
    s = report.summary
    x, y, z = BRIDGE_PEOPLE
    assert (s.targeted, s.acknowledged, s.reached, s.not_reached) == (3, 1, 1, 2)
    assert s.first_responder == x and s.first_responder_at == T0.replace(second=5)
    assert s.time_to_first_ack == 7.0 == s.time_to_ack_p50 == s.time_to_ack_p90
    assert bridge_lanes(report.people, incident) == [
        (x, [(5.0, 50.0)]),
        (y, [(12.0, 90.0)]),
        (z, [(30.0, 31.0)]),
    ]
    assert acknowledgements_over_time(report.people) == [(7.0, 1)]
    people = {p.identifier: p for p in report.people}
    assert [people[i].bridge_seconds for i in BRIDGE_PEOPLE] == [45.0, 78.0, 1.0]
    # X 1 and Y 2 PSTN minutes, Z one VoIP minute.
    assert [people[i].cost for i in BRIDGE_PEOPLE] == [
        Decimal("0.0130"),
        Decimal("0.0260"),
        Decimal("0.0040"),
    ]
    assert s.cost == s.bridge_cost == Decimal("0.0430")


def test_no_rates_no_cost(provider: FakeProvider) -> None:
    incident = bridge_history()
    report = incident_report(incident, rates=current_rates())
    assert report.rates is None and report.summary.cost == 0
    assert report.summary.minutes == 4
