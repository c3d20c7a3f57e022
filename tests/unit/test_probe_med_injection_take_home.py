"""An extended-release injection is given by a clinician, never handed over to take home
(buprenorphine extended-release REMS: serious harm or death if self-injected into a vein):
take-homes of one were handed over like bottles of methadone. They are refused naming the
order and the rule, and record nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events import Schedule
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, TakeHome


def test_an_injection_is_not_handed_over_to_take_home() -> None:
    story = Story()
    order = story.prescribe(
        "buprenorphine-xr", "300", route="subcutaneous", schedule=Schedule(every_days=28)
    )
    story.dose(order, day(1), "300", form="injection")
    story.on(day(20))
    story.eligible(14)
    recorded = len(story.record.pending)
    handed = TakeHome(
        order, day(29), 1, "injection", (Bottle("SYR-1", "LOT-9"),),
        handed_over_at=at(day(20), 10),
    )  # fmt: skip

    with pytest.raises(RuleViolation) as refused:
        dispensing.dispense_take_home(
            story.record, story.stamp(NURSE), story.rules, uuid4(), handed, program="OTP"
        )

    assert (refused.value.field, refused.value.rule) == ("orderId", "clinician-administered")
    assert len(story.record.pending) == recorded
