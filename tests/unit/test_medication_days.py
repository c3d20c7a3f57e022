"""The dosing day is the program's local day: limits, slots and missed days around midnight.

The program is in New York (UTC-5 in January): 23:30 there is 04:30 UTC the next day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from medication_story import NURSE, Story

from carecoord.events import Actor, Role, Schedule
from carecoord.events.medication import (
    DoseAdministered,
    OrderHeld,
    OrderResumed,
    TakeHomeDispensed,
)
from carecoord.events.positioned import Positioned
from carecoord.projections import dispensing_log, dosing
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing, prescribing
from carecoord.services.medication.dispensing import Bottle, GivenDose, TakeHome
from carecoord.services.medication.rules import MedicationRules

NEW_YORK = MedicationRules(zone=ZoneInfo("America/New_York"))
SWEEPER = Actor(id="missed-dose-sweep", role=Role.SYSTEM)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def give(
    story: Story, order_id: UUID, when: datetime, amount: str = "60", slot: int = 1
) -> DoseAdministered:
    given = GivenDose(order_id, Decimal(amount), "oral solution", slot, when)
    dispensing.administer(story.record, story.stamp(NURSE), story.rules, uuid4(), given, site="OTP")
    event = story.record.pending[-1].event
    assert isinstance(event, DoseAdministered)
    return event


def test_a_dose_at_2330_local_counts_for_that_local_day_not_the_utc_one() -> None:
    story = Story(NEW_YORK)
    order = story.prescribe(start=date(2026, 1, 9))

    late = give(story, order, utc(10, 4, 30))  # 23:30 on 9 January in New York

    assert late.day == date(2026, 1, 9)
    with pytest.raises(RuleViolation) as refused:
        give(story, order, utc(9, 14))  # 09:00 the same local day
    assert refused.value.rule == "one-dose-per-slot"
    assert "on 2026-01-09" in refused.value.message


def test_the_local_day_turns_over_at_local_midnight() -> None:
    story = Story(NEW_YORK)
    order = story.prescribe(start=date(2026, 1, 9))
    give(story, order, utc(9, 16))  # 11:00 on the 9th

    after_midnight = give(story, order, utc(10, 5, 15))  # 00:15 on the 10th

    assert after_midnight.day == date(2026, 1, 10)


def test_doses_on_either_side_of_midnight_are_half_a_dosing_interval_apart() -> None:
    """Each was the first of its program day, so a dose at 23:30 and another at 00:15 were
    two full daily doses 45 minutes apart, given with nothing asked."""
    story = Story(NEW_YORK)
    order = story.prescribe(start=date(2026, 1, 9))
    give(story, order, utc(10, 4, 30))  # 23:30 on the 9th

    for too_soon in (utc(10, 5, 15), utc(10, 16, 29)):  # 00:15, 11:29 on the 10th
        with pytest.raises(RuleViolation) as refused:
            give(story, order, too_soon)
        assert (refused.value.field, refused.value.rule) == ("givenAt", "dose-spacing")
        assert "at least 12 hours apart across midnight" in refused.value.message
    assert give(story, order, utc(10, 16, 30)).day == date(2026, 1, 10)  # 11:30, 12 h on


def test_a_dose_charted_late_is_held_to_the_next_days_dose_given_before_it() -> None:
    story = Story(NEW_YORK)
    order = story.prescribe(start=date(2026, 1, 8))
    give(story, order, utc(9, 13))  # 08:00 on the 9th

    with pytest.raises(RuleViolation) as refused:
        give(story, order, utc(9, 4, 30))  # charted now: given at 23:30 on the 8th
    assert refused.value.rule == "dose-spacing"
    assert give(story, order, utc(8, 20)).day == date(2026, 1, 8)  # 15:00 on the 8th


def test_a_split_dose_is_a_quarter_day_from_the_other_days_doses() -> None:
    story = Story(NEW_YORK)
    order = story.prescribe(dose="80", start=date(2026, 1, 9), schedule=Schedule(times_per_day=2))
    give(story, order, utc(10, 4), amount="40", slot=2)  # 23:00 on the 9th

    with pytest.raises(RuleViolation) as refused:
        give(story, order, utc(10, 9, 59), amount="40")  # 04:59 on the 10th
    assert refused.value.rule == "dose-spacing"
    assert "at least 6 hours apart" in refused.value.message
    give(story, order, utc(10, 10), amount="40")  # 05:00, six hours on


def test_in_utc_the_same_two_moments_are_two_days() -> None:
    story = Story()
    order = story.prescribe(start=date(2026, 1, 9))
    assert give(story, order, utc(9, 14)).day == date(2026, 1, 9)
    assert give(story, order, utc(10, 4, 30)).day == date(2026, 1, 10)


def test_split_doses_add_up_within_the_local_day() -> None:
    story = Story(NEW_YORK)
    order = story.prescribe(dose="80", start=date(2026, 1, 9), schedule=Schedule(times_per_day=2))
    give(story, order, utc(9, 14), amount="40")
    give(story, order, utc(10, 4), amount="40", slot=2)  # 23:00 on the 9th

    assert story.record.orders[order].given_amount(date(2026, 1, 9)) == 80
    assert story.record.orders[order].given_amount(date(2026, 1, 10)) == 0


def test_a_hold_placed_late_in_the_local_day_holds_that_day_for_the_missed_rule() -> None:
    story = Story(NEW_YORK)
    order = story.prescribe(start=date(2026, 1, 9))
    story.now = utc(10, 4, 30)  # 23:30 on the 9th
    prescribing.hold(story.record, story.stamp(), story.rules, order, "intoxicated at the window")

    sweep = Stamp(SWEEPER, clock=lambda: utc(12, 12))
    found = dispensing.record_missed(story.record, sweep, story.rules, date(2026, 1, 12))

    assert found == 0, "held from the 9th (local), so no day is missed"


def test_a_hold_carries_the_program_day_it_began_for_the_dosing_view() -> None:
    story = Story(NEW_YORK)
    order = story.prescribe(start=date(2026, 1, 9))
    story.now = utc(10, 4, 30)  # 23:30 on the 9th in New York, the 10th in UTC
    prescribing.hold(story.record, story.stamp(), story.rules, order, "intoxicated at the window")
    story.now = utc(11, 4, 30)
    prescribing.resume(story.record, story.stamp(), story.rules, order, "assessed")

    held, resumed = (r.event for r in story.record.pending[-2:])
    assert isinstance(held, OrderHeld)
    assert isinstance(resumed, OrderResumed)
    assert (held.day, resumed.day) == (date(2026, 1, 9), date(2026, 1, 10))
    [placed] = dosing.rows(Positioned(1, held))
    assert placed[3] == date(2026, 1, 9)


def test_a_take_home_handed_over_late_in_the_local_day_is_logged_on_that_day() -> None:
    story = Story(NEW_YORK)
    order = story.prescribe(start=date(2026, 1, 9))
    give(story, order, utc(9, 14))
    story.eligible(7)
    story.now = utc(10, 4, 30)  # 23:30 on the 9th in New York, the 10th in UTC
    given = TakeHome(order, date(2026, 1, 10), 2, "oral solution",
                     bottles=(Bottle("B1", "LOT-7"), Bottle("B2", "LOT-7")))  # fmt: skip
    dispensing.dispense_take_home(
        story.record, story.stamp(NURSE), story.rules, uuid4(), given, program="OTP"
    )

    [handed] = story.events(TakeHomeDispensed)
    assert handed.day == date(2026, 1, 9)
    [logged] = dispensing_log.rows(Positioned(1, handed))
    assert logged[1] == date(2026, 1, 9), "the DEA log's date dispensed is the program's day"
