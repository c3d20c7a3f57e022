"""A taper's step on the second day of buprenorphine induction is held to that day's cap when
it is written: a new client's stepped induction (8 mg on day 1, 24 mg on day 2) was written
with no acknowledgement asked, and one sent with it was dropped, so the nurse was refused the
day-2 dose at the window with nothing the prescriber had written able to lift it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from medication_story import Story, day

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.induction import BUPRENORPHINE_INITIAL_DOSE

STEPS = [(day(1), "8"), (day(2), "24")]
RATIONALE = {BUPRENORPHINE_INITIAL_DOSE: "high tolerance to fentanyl; COWS 14 after 8 mg"}


def test_a_step_above_the_day_2_cap_needs_the_acknowledgement() -> None:
    story = Story()
    order = story.prescribe("buprenorphine", "8", route="sublingual", induction=None)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        story.taper(order, STEPS, induction=None)

    assert (refused.value.field, refused.value.rule) == (
        "acknowledgements",
        BUPRENORPHINE_INITIAL_DOSE,
    )
    assert "steps.1.dose 24 mg is above the day 2 induction cap of 16 mg" in refused.value.message
    assert len(story.record.pending) == recorded


def test_the_acknowledged_step_is_given_at_the_window() -> None:
    story = Story()
    order = story.prescribe("buprenorphine", "8", route="sublingual", induction=None)
    stepped = story.taper(order, STEPS, ack=RATIONALE, induction=None)

    [override] = story.overrides()
    assert (override.rule_id, override.order_id) == (BUPRENORPHINE_INITIAL_DOSE, stepped)
    assert (override.attempted.dose, override.attempted.start) == (Decimal(24), day(2))
    story.dose(stepped, day(1), "8", form="sublingual film")
    story.on(day(2))
    story.dose(stepped, day(2), "24", form="sublingual film")
    assert story.record.orders[stepped].given_amount(day(2)) == Decimal(24)
