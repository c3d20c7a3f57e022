"""A new client's first methadone dosing day is held to the initial-dose cap (42 CFR 8.12(h),
2024: 50 mg) unless the prescriber acknowledged rule methadone-initial-dose with a reason."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events import Schedule
from carecoord.events.medication import DoseAdministered, OverrideAcknowledged
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, TakeHome
from carecoord.services.medication.induction import INITIAL_DOSE, InitialDoseCap
from carecoord.services.medication.rules import DEFAULT_RULES

TWICE = Schedule(times_per_day=2)


def test_a_first_order_above_50_mg_needs_the_acknowledgement_recorded_as_an_override() -> None:
    story = Story()
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("methadone", "60", induction=None)
    assert (refused.value.field, refused.value.rule) == ("acknowledgements", INITIAL_DOSE)
    assert "dose 60 mg is above the initial dose cap of 50 mg of methadone" in str(refused.value)
    assert "42 CFR 8.12(h)" in str(refused.value)
    assert not story.record.pending

    order = story.prescribe("methadone", "60", induction="tolerant: 80 mg/day elsewhere")

    [override] = story.events(OverrideAcknowledged)
    assert (override.rule_id, override.rule_version, override.reason) == (
        INITIAL_DOSE,
        "2024-04-02",
        "tolerant: 80 mg/day elsewhere",
    )
    assert (override.order_id, override.attempted.dose) == (order, Decimal(60))
    assert story.record.orders[order].acknowledged == {INITIAL_DOSE}


def test_50_mg_or_another_medication_needs_no_acknowledgement() -> None:
    story = Story()
    story.prescribe("methadone", "50", induction=None)
    other = Story()
    other.prescribe("disulfiram", "250", induction=None)
    assert story.events(OverrideAcknowledged) + other.events(OverrideAcknowledged) == []


def test_both_dose_rules_above_the_usual_maximum_on_the_first_day() -> None:
    story = Story()
    with pytest.raises(RuleViolation) as refused:
        story.prescribe(
            "methadone", "130", ack={"dose-above-usual-maximum": "fast"}, induction=None
        )
    assert refused.value.rule == INITIAL_DOSE
    story.prescribe("methadone", "130", ack={"dose-above-usual-maximum": "fast"}, induction="ok")
    rules = [o.rule_id for o in story.events(OverrideAcknowledged)]
    assert rules == ["dose-above-usual-maximum", INITIAL_DOSE]


def test_a_change_or_taper_before_the_first_dose_is_judged_on_its_first_day() -> None:
    story = Story()
    order = story.prescribe("methadone", "40", start=day(1), induction=None)
    with pytest.raises(RuleViolation) as changed:
        story.change(order, "60", day(1), induction=None)
    assert (changed.value.field, changed.value.rule) == ("acknowledgements", INITIAL_DOSE)
    with pytest.raises(RuleViolation) as tapered:
        story.taper(order, [(day(1), "55"), (day(5), "45")], induction=None)
    assert tapered.value.rule == INITIAL_DOSE
    assert "steps.0.dose 55 mg" in str(tapered.value)
    story.taper(order, [(day(1), "45"), (day(5), "55")], induction=None)  # the first step
    assert story.events(OverrideAcknowledged) == []


def test_a_client_dosed_here_before_is_not_held_to_the_cap() -> None:
    story = Story()
    order = story.prescribe("methadone", "45", start=day(1), induction=None)
    story.dose(order, day(1), "45")
    story.change(order, "55", day(4), induction=None)
    story.on(day(4))
    [changed] = [o for o in story.record.orders.values() if o.prior_order_id == order]
    story.dose(changed.order_id, day(4), "55")
    assert story.events(OverrideAcknowledged) == []


def test_the_window_holds_the_first_day_to_the_cap_unless_the_order_carries_it() -> None:
    """An order of 50 mg in two doses written before the program lowered its cap to 40 mg:
    the first day's second dose would make 50."""
    story = Story()
    order = story.prescribe("methadone", "50", schedule=TWICE, induction=None)
    story.rules = replace(DEFAULT_RULES, initial_dose=InitialDoseCap(Decimal(40), "program-1"))
    story.dose(order, day(1), "25", slot=1)
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(1), "25", slot=2)
    assert (refused.value.field, refused.value.rule) == ("amount", INITIAL_DOSE)
    assert "25 mg given and 25 mg more is above the initial dose cap of 40 mg" in str(refused.value)
    assert "at most 15 mg more" in str(refused.value)
    story.dose(order, day(1), "15", slot=2)
    story.dose(order, day(2), "25", slot=1)  # not the first day
    story.dose(order, day(2), "25", slot=2)
    assert len(story.events(DoseAdministered)) == 4


def test_a_take_home_part_of_a_split_first_dose_counts_toward_the_cap() -> None:
    story = Story()
    order = story.prescribe("methadone", "50", schedule=TWICE, induction=None)
    story.rules = replace(DEFAULT_RULES, initial_dose=InitialDoseCap(Decimal(40), "program-1"))
    story.eligible(1)
    story.dose(order, day(1), "25", slot=1)
    evening = TakeHome(order, day(1), 1, "oral solution", (Bottle("B1", "LOT-7"),), at(day(1), 10))
    with pytest.raises(RuleViolation) as refused:
        dispensing.dispense_take_home(
            story.record, story.stamp(NURSE), story.rules, uuid4(), evening, program="OTP"
        )
    assert (refused.value.field, refused.value.rule) == ("bottles", INITIAL_DOSE)


def test_an_acknowledged_order_is_given_in_full_on_the_first_day() -> None:
    story = Story()
    order = story.prescribe("methadone", "80", schedule=TWICE, induction="tolerant")
    story.dose(order, day(1), "40", slot=1)
    story.dose(order, day(1), "40", slot=2)
    assert len(story.events(DoseAdministered)) == 2


def test_a_dose_marked_in_error_puts_the_client_back_in_induction() -> None:
    story = Story()
    first = story.prescribe("methadone", "40", start=day(1), induction=None)
    dose = story.dose(first, day(1), "40")
    dispensing.enter_in_error(
        story.record, story.stamp(NURSE), story.rules, dispensing.InError(dose, "wrong client")
    )
    with pytest.raises(RuleViolation) as refused:
        story.change(first, "60", day(1), induction=None)
    assert refused.value.rule == INITIAL_DOSE
