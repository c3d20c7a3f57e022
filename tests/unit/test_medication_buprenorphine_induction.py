"""A new client's first two days of sublingual buprenorphine are held to the label's usual
induction (SUBOXONE: up to 8 mg on day 1, 16 mg on day 2) unless the prescriber acknowledged
rule buprenorphine-initial-dose with a reason: any first dose was taken, where methadone's
first day was held to its cap."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest
from medication_story import Story, day

from carecoord.events import Schedule
from carecoord.events.medication import Dispensing, DoseAdministered, OverrideAcknowledged
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import prescribing
from carecoord.services.medication.induction import (
    BUPRENORPHINE_INDUCTION,
    BUPRENORPHINE_INITIAL_DOSE,
)
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.medication.xr_initiation import XR_INITIATION

SL = "sublingual"
FILM = "sublingual film"
TWICE = Schedule(times_per_day=2)
LENIENT = replace(
    DEFAULT_RULES,
    buprenorphine_induction=replace(BUPRENORPHINE_INDUCTION, cap=Decimal(16), later=(Decimal(24),)),
)
"""A table under which orders above the label's caps are written unacknowledged (as before
this rule, or under a program's higher caps), for the window's own check."""


@pytest.mark.parametrize("code", ["buprenorphine", "buprenorphine-naloxone"])
def test_a_first_order_above_8_mg_needs_the_acknowledgement_recorded_as_an_override(
    code: str,
) -> None:
    story = Story()
    with pytest.raises(RuleViolation) as refused:
        story.prescribe(code, "12", route=SL, induction=None)
    assert refused.value.field == "acknowledgements"
    assert refused.value.rule == BUPRENORPHINE_INITIAL_DOSE
    assert f"dose 12 mg is above the initial dose cap of 8 mg of {code}" in str(refused.value)
    assert "SUBOXONE" in str(refused.value)
    assert not story.record.pending

    order = story.prescribe(code, "12", route=SL, induction="used fentanyl daily; COWS 18")
    [override] = story.events(OverrideAcknowledged)
    assert (override.rule_id, override.rule_version, override.reason) == (
        BUPRENORPHINE_INITIAL_DOSE,
        "label-1",
        "used fentanyl daily; COWS 18",
    )
    assert (override.order_id, override.attempted.dose) == (order, Decimal(12))


def test_8_mg_the_xr_injection_or_methadone_needs_no_buprenorphine_acknowledgement() -> None:
    story = Story()
    story.prescribe("buprenorphine", "8", route=SL, induction=None)
    xr = Story()
    monthly = Schedule(every_days=28)
    started = {XR_INITIATION: "4 mg sublingual tolerated at the emergency department"}
    xr.prescribe(
        "buprenorphine-xr", "300", route="subcutaneous", schedule=monthly, ack=started,
        induction=None,
    )  # fmt: skip
    methadone = Story()
    methadone.prescribe("methadone", "40", induction=None)
    found = [*story.events(OverrideAcknowledged), *xr.events(OverrideAcknowledged)]
    found += methadone.events(OverrideAcknowledged)
    assert [o.rule_id for o in found] == [XR_INITIATION]


def test_the_second_day_is_held_to_16_mg_and_the_third_to_nothing() -> None:
    story = Story()
    order = story.prescribe("buprenorphine", "8", route=SL, start=day(1), induction=None)
    story.dose(order, day(1), "8", form=FILM)
    story.on(day(1), 12)
    with pytest.raises(RuleViolation) as refused:
        story.change(order, "20", day(2), induction=None)
    assert refused.value.rule == BUPRENORPHINE_INITIAL_DOSE
    assert "dose 20 mg is above the day 2 induction cap of 16 mg" in str(refused.value)
    story.change(order, "16", day(2), induction=None)
    story.on(day(2))
    [second] = [o for o in story.record.orders.values() if o.prior_order_id == order]
    story.dose(second.order_id, day(2), "16", form=FILM)
    story.change(second.order_id, "24", day(3), induction=None)
    assert story.events(OverrideAcknowledged) == []


def test_the_two_products_are_one_induction() -> None:
    """Inducted on buprenorphine alone and switched to the combination the next day: day 2."""
    story = Story()
    mono = story.prescribe("buprenorphine", "8", route=SL, induction=None)
    story.dose(mono, day(1), "8", form=FILM)
    story.on(day(1), 12)
    story.discontinue(mono)
    story.prescribe("buprenorphine-naloxone", "16", route=SL, start=day(2), induction=None)
    assert story.events(OverrideAcknowledged) == []


def test_the_window_holds_each_induction_day_unless_the_order_carries_it() -> None:
    """Orders written above the caps without the acknowledgement (a program's higher caps,
    or before this rule): the window gives the first day 8 mg and the second 16 at most."""
    story = Story(LENIENT)
    order = story.prescribe("buprenorphine", "16", route=SL, schedule=TWICE, induction=None)
    story.rules = DEFAULT_RULES
    story.dose(order, day(1), "8", slot=1, form=FILM)
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(1), "4", slot=2, form=FILM)
    assert (refused.value.field, refused.value.rule) == ("amount", BUPRENORPHINE_INITIAL_DOSE)
    assert "first dosing day of buprenorphine" in str(refused.value)
    assert "8 mg given and 4 mg more is above the initial dose cap of 8 mg" in str(refused.value)
    assert "at most 0 mg more" in str(refused.value)

    story.rules = LENIENT
    story.on(day(1), 12)
    story.change(order, "24", day(2), induction=None)
    story.rules = DEFAULT_RULES
    [raised] = [o for o in story.record.orders.values() if o.prior_order_id == order]
    story.dose(raised.order_id, day(2), "12", slot=1, form=FILM)
    with pytest.raises(RuleViolation) as second:
        story.dose(raised.order_id, day(2), "12", slot=2, form=FILM)
    assert "day 2 of induction" in str(second.value)
    assert "above the day 2 induction cap of 16 mg" in str(second.value)
    assert "at most 4 mg more" in str(second.value)
    story.dose(raised.order_id, day(2), "4", slot=2, form=FILM)
    story.dose(raised.order_id, day(3), "12", slot=1, form=FILM)  # past induction
    story.dose(raised.order_id, day(3), "12", slot=2, form=FILM)
    assert len(story.events(DoseAdministered)) == 5


def test_an_acknowledged_order_is_given_in_full_on_its_induction_days() -> None:
    story = Story()
    order = story.prescribe("buprenorphine-naloxone", "12", route=SL, schedule=TWICE)
    story.dose(order, day(1), "6", slot=1, form=FILM)
    story.dose(order, day(1), "6", slot=2, form=FILM)
    assert len(story.events(DoseAdministered)) == 2


def test_a_pharmacy_filled_order_is_held_on_its_first_days_and_not_after() -> None:
    """No fill is charted here: the first order's start day is the first day of induction,
    not every order of a client whose doses are never seen."""
    story = Story()

    def filled(dose: str) -> None:
        new = NewOrder(
            "buprenorphine-naloxone", Decimal(dose), "mg", "sublingual", Schedule(), day(1),
            dispensing=Dispensing.PHARMACY,
        )  # fmt: skip
        prescribing.prescribe(story.record, story.stamp(), story.rules, uuid4(), new)

    with pytest.raises(RuleViolation) as refused:
        filled("16")
    assert refused.value.rule == BUPRENORPHINE_INITIAL_DOSE
    filled("8")
    [order] = story.record.orders
    story.on(day(1), 12)
    with pytest.raises(RuleViolation):
        story.change(order, "24", day(2), induction=None)
    raised = story.change(order, "24", day(2), induction="high tolerance")
    story.on(day(9))
    story.change(raised, "20", day(9), induction=None)
    assert [o.rule_id for o in story.events(OverrideAcknowledged)] == [BUPRENORPHINE_INITIAL_DOSE]
