"""Dispensing invariants on one client's record, each refusal naming its rule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events import Schedule
from carecoord.events.medication import (
    DoseAdministered,
    DoseNotGiven,
    NotGivenReason,
    TakeHomeDispensed,
)
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import (
    Bottle,
    GivenDose,
    NotGiven,
    Replacement,
    TakeHome,
)
from carecoord.services.medication.rules import DEFAULT_RULES, MedicationRules
from carecoord.services.medication.take_homes import CapSchedule, TakeHomePolicy


def started(max_days: int, rules: MedicationRules = DEFAULT_RULES) -> tuple[Story, UUID]:
    """A methadone order dosed on day 1, with take-homes of up to ``max_days`` allowed."""
    story = Story(rules)
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(max_days)
    return story, order


def attended(story: Story, order: UUID, through: date) -> None:
    """Dosed at the window every day from day 2 through ``through``: a take-home after days
    without methadone would be a restart's first day, held to the initial-dose cap."""
    for n in range(2, (through - day(1)).days + 2):
        story.dose(order, day(n))


def test_one_dose_per_slot() -> None:
    story = Story()
    order = story.prescribe()
    first = story.dose(order, day(1))
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(1))
    assert refused.value.rule == "one-dose-per-slot"
    assert str(first) in refused.value.message


def test_no_dose_before_start_or_after_end() -> None:
    story = Story()
    order = story.prescribe(start=day(5))
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(4))
    assert refused.value.rule == "order-active"
    assert "active from 2026-01-05, not on 2026-01-04" in refused.value.message


def test_no_dose_before_the_order_was_written_on_its_start_day() -> None:
    """An order written at 10:00 to start that day: a dose charted as given at 09:00 was
    given before anything was prescribed, and is refused naming givenAt; one at 11:00 is
    given."""
    story = Story()
    story.on(day(1), 10)
    order = story.prescribe(start=day(1))
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(1), hour=9)
    assert (refused.value.field, refused.value.rule) == ("givenAt", "after-order-written")
    assert "written at 2026-01-01 10:00" in refused.value.message
    assert "at 2026-01-01 09:00" in refused.value.message
    assert not story.events(DoseAdministered)
    story.dose(order, day(1), hour=11)


def test_an_order_dated_back_is_dosed_from_its_start() -> None:
    """A paper order entered late: dated back by its start, or by when it was written (its
    clinical time), a dose given then under it is charted."""
    story = Story()
    story.on(day(3), 10)
    by_start = story.prescribe(start=day(1))
    story.dose(by_start, day(1), hour=9)
    other = Story()
    other.on(day(1), 10)
    by_time = other.prescribe(start=day(1), written_at=at(day(1), 7))
    with pytest.raises(RuleViolation, match="written at 2026-01-01 07:00"):
        other.dose(by_time, day(1), hour=6)
    other.dose(by_time, day(1), hour=9)


def test_a_dose_change_is_not_dosed_before_it_was_written() -> None:
    """A change written at noon to start that day: a take-home or dose before noon was given
    under the order it replaced, not under the change."""
    story, order = started(7)
    attended(story, order, day(4))
    story.on(day(5), 12)
    changed = story.change(order, "70", day(5))
    with pytest.raises(RuleViolation) as handed:
        story.take_home(changed, day(5), day(5), 1)
    assert (handed.value.field, handed.value.rule) == ("handedOverAt", "after-order-written")
    with pytest.raises(RuleViolation) as given:
        story.dose(changed, day(5), "70")
    assert (given.value.field, given.value.rule) == ("givenAt", "after-order-written")
    story.dose(changed, day(5), "70", hour=13)


def test_a_dose_given_before_a_same_day_change_is_charted_once_the_change_is_rewritten() -> None:
    """The morning's dose charted after a change written at noon to start that day: under
    neither order (the old one ends the day before, the change was not written yet), both
    refusals say how to chart it, and that way does chart it, the change then written from
    the next day so the day is not dosed twice."""
    story, order = started(7)
    attended(story, order, day(4))
    story.on(day(5), 12)
    changed = story.change(order, "70", day(5))
    for under, amount in ((changed, "70"), (order, "60")):
        with pytest.raises(RuleViolation) as refused:
            story.dose(under, day(5), amount, hour=8)
        assert f"mark order {changed} entered in error" in refused.value.message
        assert f"given under order {order}" in refused.value.message
    story.discontinue_in_error(changed)
    story.dose(order, day(5), hour=8)
    with pytest.raises(RuleViolation) as same_day:
        story.change(order, "70", day(5))
    assert same_day.value.rule == "start-after-last-dispensed"
    story.change(order, "70", day(6))


def test_no_dose_against_a_held_order_names_who_and_since_and_not_why() -> None:
    story = Story()
    order = story.prescribe()
    story.hold(order, "intoxicated at intake")
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(1))
    assert refused.value.rule == "order-active"
    assert "on hold since 2026-01-01 08:00, placed by dr-lee (its reason is the order's" in (
        refused.value.message
    )
    assert "intoxicated" not in refused.value.message


def test_no_dose_against_a_discontinued_or_replaced_order() -> None:
    story = Story()
    order = story.prescribe()
    new = story.change(order, "80", day(3))
    with pytest.raises(RuleViolation, match=f"replaced by order {new}"):
        story.dose(order, day(3), "60")
    story.dose(new, day(3), "80")
    story.discontinue(new, reason="transferred")
    with pytest.raises(RuleViolation, match="stopped on 2026-01-01 by dr-lee") as stopped:
        story.dose(new, day(4), "80")
    assert "transferred" not in stopped.value.message


def test_no_more_than_prescribed_per_slot_and_per_day() -> None:
    story = Story()
    order = story.prescribe(dose="80", schedule=Schedule(times_per_day=2))
    with pytest.raises(RuleViolation) as too_much:
        story.dose(order, day(1), "60", slot=1)
    assert too_much.value.rule == "prescribed-amount"
    story.dose(order, day(1), "40", slot=1)
    story.dose(order, day(1), "40", slot=2)
    with pytest.raises(InvalidInput) as no_slot:
        story.dose(order, day(1), "40", slot=3)
    assert no_slot.value.rule == "scheduled-slot"


def test_a_refusal_quotes_the_amounts_of_the_record_as_numbers() -> None:
    """An order written "80.000000000000" was quoted to the nurse as "at most
    40.000000000000 mg per dose", and its dose as "at most 40.0 (the original dose)"."""
    story = Story()
    order = story.prescribe(dose="80.000000000000", schedule=Schedule(times_per_day=2))
    with pytest.raises(RuleViolation, match="at most 40 mg per dose is prescribed"):
        story.dose(order, day(1), "60", slot=1)
    story.dose(order, day(1), "40.0", slot=1)
    more = Replacement(
        order, story.record.orders[order].given[(day(1), 1)], Decimal(45), "oral solution",
        "vomited within 15 minutes", at(day(1), 10),
    )  # fmt: skip
    with pytest.raises(InvalidInput, match=r"at most 40 \(the original dose\), got 45"):
        dispensing.replace_dose(
            story.record, story.stamp(NURSE), story.rules, uuid4(), more, site="OTP"
        )


def test_the_daily_amount_holds_with_partial_split_doses() -> None:
    story = Story()
    order = story.prescribe(dose="80", schedule=Schedule(times_per_day=2))
    story.dose(order, day(1), "40", slot=1)
    dose_id = uuid4()
    replacement = Replacement(
        order, story.record.orders[order].given[(day(1), 1)], Decimal(40), "oral solution",
        "vomited within 15 minutes", at(day(1), 10),
    )  # fmt: skip
    dispensing.replace_dose(
        story.record, story.stamp(NURSE), story.rules, dose_id, replacement, site="OTP"
    )
    assert story.record.orders[order].given_amount(day(1)) == 40
    story.dose(order, day(1), "40", slot=2)
    assert story.record.orders[order].given_amount(day(1)) == 80


def test_a_replacement_is_given_after_the_dose_it_replaces() -> None:
    """A dose spilled at 09:00 is not replaced at 08:00: the DEA log would show the
    replacement poured before the dose it stood in for."""
    story = Story()
    order = story.prescribe()
    story.on(day(1), 12)
    original = story.dose(order, day(1))

    def replace(hour: int) -> None:
        replacement = Replacement(
            order, original, Decimal(60), "oral solution", "spilled", at(day(1), hour)
        )
        dispensing.replace_dose(
            story.record, story.stamp(NURSE), story.rules, uuid4(), replacement, site="OTP"
        )

    with pytest.raises(RuleViolation) as before:
        replace(8)
    assert (before.value.field, before.value.rule) == ("givenAt", "replace-after-original")
    assert "given at 2026-01-01 09:00" in str(before.value)
    assert story.types() == ["MedicationPrescribed", "OverrideAcknowledged", "DoseAdministered"]
    replace(9)
    assert story.types()[-1] == "DoseAdministered"


def test_a_replacement_is_linked_once_and_only_on_the_same_day() -> None:
    story = Story()
    order = story.prescribe()
    original = story.dose(order, day(1))

    def replace(when: date, amount: str = "60") -> None:
        replacement = Replacement(
            order, original, Decimal(amount), "oral solution", "spilled", at(when, 11)
        )
        dispensing.replace_dose(
            story.record, story.stamp(NURSE), story.rules, uuid4(), replacement, site="OTP"
        )

    with pytest.raises(RuleViolation) as other_day:
        replace(day(2))
    assert other_day.value.rule == "replace-same-day"
    with pytest.raises(InvalidInput, match="at most 60"):
        replace(day(1), "70")
    replace(day(1))
    assert (
        story.record.pending[-1].event.summary()
        == "Replacement dose given: methadone 60 mg (spilled)"
    )
    with pytest.raises(RuleViolation) as twice:
        replace(day(1))
    assert twice.value.rule == "one-replacement"


def test_interval_dosing_only_on_dosing_days() -> None:
    story = Story()
    order = story.prescribe(
        "naltrexone-xr", "380", route="intramuscular", schedule=Schedule(every_days=28)
    )
    story.dose(order, day(1), "380", form="injection")
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(15), "380", form="injection")
    assert refused.value.rule == "injection-interval"  # a window around day 29, not day 15
    story.dose(order, day(29), "380", form="injection")
    assert [d.day for d in story.events(DoseAdministered)] == [day(1), day(29)]


def test_an_injection_is_not_replaced() -> None:
    """A replacement stands in for an oral dose spilled or vomited: a second 300 mg
    buprenorphine extended-release injection on the day of the first doubles a monthly dose."""
    story = Story()
    monthly = Schedule(every_days=28)
    order = story.prescribe("buprenorphine-xr", "300", route="subcutaneous", schedule=monthly)
    story.on(day(1), 12)
    injected = story.dose(order, day(1), "300", form="injection")
    replacement = Replacement(
        order, injected, Decimal(300), "injection", "patient moved", at(day(1), 10)
    )

    with pytest.raises(RuleViolation) as refused:
        dispensing.replace_dose(
            story.record, story.stamp(NURSE), story.rules, uuid4(), replacement, site="OTP"
        )

    assert (refused.value.field, refused.value.rule) == ("replacesDoseId", "replace-oral-dose")
    assert len(story.events(DoseAdministered)) == 1


def test_a_pharmacy_order_is_not_dispensed_at_the_window() -> None:
    story = Story()
    order = story.prescribe("sertraline", "50")
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(1), "50", form="tablet")
    assert refused.value.rule == "clinic-dispensed"


def test_dose_not_given_leaves_the_slot_open() -> None:
    story = Story()
    order = story.prescribe()
    not_given = NotGiven(order, NotGivenReason.INTOXICATED, occurred_at=at(day(1), 8))
    dispensing.not_given(story.record, story.stamp(NURSE), story.rules, not_given)
    assert story.record.pending[-1].event.summary() == "Dose not given: methadone (intoxicated)"
    story.dose(order, day(1))
    [given] = story.events(DoseAdministered)
    assert (given.day, given.slot) == (day(1), 1)


def test_a_dose_not_given_keeps_a_note_trimmed_and_one_that_shows_nothing_as_none() -> None:
    """The FHIR export carries the note: one of zero-width characters went out as a note a
    reader sees nothing of."""
    story = Story()
    order = story.prescribe(schedule=Schedule(times_per_day=2))
    for slot, note in ((1, "\u200b \u2060"), (2, " sent home, back at 2 pm ")):
        given = NotGiven(order, NotGivenReason.INTOXICATED, slot, note, at(day(1), 8))
        dispensing.not_given(story.record, story.stamp(NURSE), story.rules, given)
    assert [e.note for e in story.events(DoseNotGiven)] == ["", "sent home, back at 2 pm"]


def test_guest_dosing_elsewhere_blocks_dosing_here_until_it_ends() -> None:
    story = Story()
    order = story.prescribe()
    guest = uuid4()
    dispensing.arrange_guest_dosing(
        story.record, story.stamp(NURSE), guest_dosing_id=guest, site="Riverside OTP",
        start=day(3), end=day(9),
    )  # fmt: skip
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(4))
    assert refused.value.rule == "guest-dosing"
    assert "Riverside OTP from 2026-01-03 to 2026-01-09" in refused.value.message
    dispensing.end_guest_dosing(
        story.record,
        story.stamp(NURSE),
        guest_dosing_id=guest,
        ended_on=day(5),
        reason="back early",
    )
    story.dose(order, day(5))
    assert [d.day for d in story.events(DoseAdministered)] == [day(5)]


def test_take_homes_need_a_first_dose_and_eligibility() -> None:
    story = Story()
    order = story.prescribe()
    with pytest.raises(RuleViolation) as no_dose:
        story.take_home(order, day(1), day(2), 1)
    assert no_dose.value.rule == "treatment-started"
    story.dose(order, day(1))
    with pytest.raises(RuleViolation) as not_eligible:
        story.take_home(order, day(1), day(2), 1)
    assert not_eligible.value.rule == "take-home-eligibility"
    assert "none was determined by the hand-over" in not_eligible.value.message
    assert "determineTakeHomeEligibility" in not_eligible.value.message  # what to do about it


def test_a_take_home_handed_over_before_the_first_dose_is_refused_as_before_treatment() -> None:
    """A hand-over charted late for a day before the first observed dose was refused as a
    cap of 0 days "on day 0 of treatment", which told the nurse nothing of the cause."""
    story = Story()
    order = story.prescribe()
    story.dose(order, day(3))
    story.eligible(7)
    with pytest.raises(RuleViolation) as before:
        story.take_home(order, day(2), day(2), 1)
    assert (before.value.field, before.value.rule) == ("handedOverAt", "treatment-started")
    assert f"on {day(3)}" in before.value.message


@pytest.mark.parametrize(
    ("treatment_day", "allowed"), [(1, 7), (14, 7), (15, 14), (30, 14), (31, 28)]
)
def test_federal_caps_by_day_in_treatment(treatment_day: int, allowed: int) -> None:
    story, order = started(28)
    handed = day(treatment_day)
    attended(story, order, handed)
    if allowed < 28:  # 28 days is also the most eligibility can grant
        with pytest.raises(RuleViolation) as refused:
            story.take_home(order, handed, handed + timedelta(days=1), allowed + 1)
        assert refused.value.rule == "take-home-cap"
        assert f"on day {treatment_day} of treatment" in refused.value.message
    story.take_home(order, handed, handed + timedelta(days=1), allowed)
    event = story.record.pending[-1].event
    assert isinstance(event, TakeHomeDispensed)
    assert (event.cap_days, event.cap_rule, event.day_in_treatment) == (
        allowed,
        "42-cfr-8.12i",
        treatment_day,
    )


def test_supply_already_held_counts_against_the_cap() -> None:
    story, order = started(28)
    story.take_home(order, day(1), day(2), 4)
    with pytest.raises(RuleViolation, match="this would make 8"):
        story.take_home(order, day(1), day(6), 4)
    story.take_home(order, day(1), day(6), 3)
    assert [t.days_covered for t in story.events(TakeHomeDispensed)] == [4, 3]


def test_a_take_home_fills_its_slots() -> None:
    story, order = started(7)
    story.take_home(order, day(1), day(2), 2)
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(2))
    assert refused.value.rule == "one-dose-per-slot"


def test_one_bottle_per_dose_for_split_doses() -> None:
    story = Story()
    order = story.prescribe(dose="80", schedule=Schedule(times_per_day=2))
    story.dose(order, day(1), "40")
    story.eligible(7)
    given = TakeHome(order, day(2), 2, "oral solution", (Bottle("B1", "L"),), at(day(1), 10))
    with pytest.raises(InvalidInput) as refused:
        dispensing.dispense_take_home(
            story.record, story.stamp(NURSE), story.rules, uuid4(), given, program="OTP"
        )
    assert refused.value.rule == "one-bottle-per-dose"
    story.take_home(order, day(1), day(2), 2)
    event = story.record.pending[-1].event
    assert isinstance(event, TakeHomeDispensed)
    assert [b.amount for b in event.bottles] == [40, 40, 40, 40]
    assert event.summary() == "Take-home handed over: methadone 160 mg in 4 bottles for 2 days"


def test_a_program_can_have_a_stricter_schedule() -> None:
    strict = CapSchedule("state-x", "2025-01", "state rule", ((1, 0), (91, 6)))
    story, order = started(
        28, MedicationRules(take_homes=TakeHomePolicy(by_program={"Strict": strict}))
    )
    attended(story, order, day(20))
    with pytest.raises(RuleViolation, match=r"cap \(state-x, version 2025-01\) allows up to 0"):
        story.take_home(order, day(20), day(21), 1, program="Strict")
    story.take_home(order, day(20), day(21), 1, program="OTP")
    [federal] = story.events(TakeHomeDispensed)
    assert (federal.cap_rule, federal.cap_days) == ("42-cfr-8.12i", 14)


def test_the_bottle_a_dose_was_poured_from_is_named_as_a_take_home_bottle_is() -> None:
    """The lot ledger lists it: a label of zero-width characters read there as none, and one
    with a space around it as another bottle."""
    story = Story()
    order = story.prescribe()

    def give(bottle: str) -> None:
        given = GivenDose(order, Decimal(60), "oral solution", 1, at(day(1)), "L1", bottle)
        stamp = story.stamp(NURSE)
        dispensing.administer(story.record, stamp, story.rules, uuid4(), given, site="OTP")

    with pytest.raises(InvalidInput) as unseen:
        give("B1\u200b")
    assert (unseen.value.field, unseen.value.rule) == ("bottle", "visible-name")
    assert story.types() == ["MedicationPrescribed", "OverrideAcknowledged"]
    give(" B1 ")
    [dose] = story.events(DoseAdministered)
    assert dose.bottle == "B1"
