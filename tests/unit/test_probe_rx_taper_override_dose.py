"""A taper whose later step is above the usual maximum records its override with that step's
dose and day: it recorded the first step's (90 mg, under the maximum), so the safety log
listed an override of the usual maximum for a dose that was not above it."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from medication_story import INDUCTED, Story, day

from carecoord.events.medication import TaperOrdered, TaperStep
from carecoord.services.medication import prescribing
from carecoord.services.medication.doses import ABOVE_USUAL
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.prescribing import Taper


def test_a_tapers_dose_override_names_the_step_above_the_usual_maximum() -> None:
    story = Story()
    order = story.prescribe("methadone", "80", start=day(1))
    steps = (TaperStep(start=day(2), dose=Decimal(90)), TaperStep(start=day(16), dose=Decimal(130)))
    acks = {ABOVE_USUAL: "rapid", INITIAL_DOSE: INDUCTED}  # not dosed yet: still in induction
    taper = Taper(order, steps, reason="titration", acknowledgements=acks)

    prescribing.taper(story.record, story.stamp(), story.rules, uuid4(), taper)

    [override] = story.overrides()
    assert (override.rule_id, override.attempted.dose, override.attempted.start) == (
        ABOVE_USUAL,
        Decimal(130),
        day(16),
    )
    assert override.attempted.action == "taper"
    [tapered] = story.events(TaperOrdered)
    assert tapered.dose == Decimal(90)
