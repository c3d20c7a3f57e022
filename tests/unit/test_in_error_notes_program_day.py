"""A refusal that quotes when an entry was stopped or struck out ("already marked entered in
error on <day> by <user>") names the program's day (``program_time_zone``), not UTC's: a dose
marked in error at 20:00 in Los Angeles was quoted as marked the next day, one marked at 03:00
in Kolkata as marked the day before. So for take-homes, orders and check-ins; and a hold is
quoted at the program's date and time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from alert_story import NURSE
from alert_story import Story as CheckIns
from medication_story import DOCTOR, Story, at, day
from program_days import PARTED, parted

from carecoord.services.checkins import commands as checkins
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing, prescribing
from carecoord.services.medication.dispensing import GivenDose, InError, TakeHomeInError
from carecoord.services.medication.rules import MedicationRules


@pytest.fixture(params=list(PARTED))
def zone(request: pytest.FixtureRequest) -> ZoneInfo:
    return ZoneInfo(request.param)


def refused_twice(mark: Callable[[], object]) -> str:
    """The message of the second of two markings."""
    mark()
    with pytest.raises(RuleViolation) as twice:
        mark()
    return twice.value.message


def test_a_dose_in_error_is_quoted_on_the_programs_day(zone: ZoneInfo) -> None:
    story = Story(MedicationRules(zone=zone))
    dose = story.dose(story.prescribe(), day(2))
    story.now = parted(day(3), zone)

    message = refused_twice(
        lambda: dispensing.enter_in_error(
            story.record, story.stamp(NURSE), story.rules, InError(dose, "wrong client")
        )
    )

    said = f"already marked entered in error on {day(3)} by nurse-kim (its reason is the entry's"
    assert said in message
    assert "wrong client" not in message


def test_a_take_home_in_error_is_quoted_on_the_programs_day(zone: ZoneInfo) -> None:
    story = Story(MedicationRules(zone=zone))
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(7)
    story.take_home(order, day(1), day(2), 2)
    [dispense_id] = story.record.orders[order].handed_over
    story.now = parted(day(3), zone)

    message = refused_twice(
        lambda: dispensing.enter_take_home_in_error(
            story.record,
            story.stamp(NURSE),
            story.rules,
            TakeHomeInError(dispense_id, "wrong client"),
        )
    )

    assert f"already marked entered in error on {day(3)} by nurse-kim" in message


def test_an_order_in_error_is_quoted_on_the_programs_day(zone: ZoneInfo) -> None:
    story = Story(MedicationRules(zone=zone))
    order = story.prescribe()
    story.now = parted(day(3), zone)

    message = refused_twice(lambda: story.discontinue_in_error(order))

    assert f"already marked in error on {day(3)} by {DOCTOR.id} (its reason is the" in message
    assert "wrong client" not in message


def test_a_check_in_in_error_is_quoted_on_the_programs_day(zone: ZoneInfo) -> None:
    story = CheckIns()
    entry = story.check_in(craving=30)
    on = story.now.date() + timedelta(days=1)
    stamp = Stamp(NURSE, clock=lambda: parted(on, zone), zone=zone)

    message = refused_twice(
        lambda: story.run(
            checkins.mark_entered_in_error(
                stamp,
                client_id=story.client_id,
                entry_id=entry,
                reason="wrong client",
                rules=story.rules,
            )
        )
    )

    assert f"already marked entered in error on {on} by nurse-kim" in message


def test_a_hold_is_quoted_at_the_programs_time(zone: ZoneInfo) -> None:
    story = Story(MedicationRules(zone=zone))
    order = story.prescribe()
    story.now = held_at = parted(day(1), zone)
    story.hold(order, "intoxicated at intake")
    local = held_at.astimezone(zone)
    story.now = held_at + timedelta(hours=2)

    with pytest.raises(RuleViolation) as dosing:  # given after the hold: a dose before it is not
        story.dose(order, held_at.date(), hour=held_at.hour + 1)
    with pytest.raises(RuleViolation) as again:
        prescribing.hold(story.record, story.stamp(), story.rules, order, "again")

    since = f"on hold since {local:%Y-%m-%d %H:%M}, placed by {DOCTOR.id}"
    assert since in dosing.value.message
    assert since in again.value.message


def test_a_lifted_hold_is_quoted_at_the_programs_times() -> None:
    """Held 08:00 to 12:00 UTC, a dose charted for 10:00 UTC: Kolkata's clock reads 13:30,
    17:30 and 15:30."""
    story = Story(MedicationRules(zone=ZoneInfo("Asia/Kolkata")))
    order = story.prescribe()
    story.dose(order, day(1))
    story.on(day(2), 8)
    story.hold(order, "intoxicated")
    story.on(day(2), 12)
    story.resume(order, "assessed, sober")
    story.on(day(2), 13)
    late = GivenDose(order, Decimal(60), "oral solution", 1, at(day(2), 10), lot="L1")

    with pytest.raises(RuleViolation) as refused:
        dispensing.administer(
            story.record, story.stamp(NURSE), story.rules, uuid4(), late, site="OTP"
        )

    assert f"on hold from {day(2)} 13:30 to {day(2)} 17:30" in refused.value.message
    assert f"at {day(2)} 15:30" in refused.value.message
