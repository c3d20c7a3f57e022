"""A planned cross-titration from methadone to buprenorphine runs on acknowledgements, as the
README says: the buprenorphine order acknowledges duplicate-opioid-treatment and
methadone-to-buprenorphine, each methadone step down written while both are in force
acknowledges the duplicate again, and once methadone is stopped and its last dose has
acted, buprenorphine is changed with nothing asked."""

from __future__ import annotations

import pytest
from medication_story import Story, at, day

from carecoord.services.kernel.errors import RuleViolation

DUPLICATE = "duplicate-opioid-treatment"
SWITCH = "methadone-to-buprenorphine"
PLAN = "low-dose buprenorphine cross-titration agreed with the client"


def test_a_cross_titration_is_acknowledged_at_each_overlapping_step() -> None:
    story = Story()
    methadone = story.prescribe("methadone", "40")
    story.dose(methadone, day(1), "40")
    story.on(day(1), 12)
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("buprenorphine", "2", route="sublingual", start=day(2))
    assert refused.value.rule == DUPLICATE
    bup = story.prescribe(
        "buprenorphine", "2", route="sublingual", start=day(2),
        ack={DUPLICATE: PLAN, SWITCH: PLAN},
    )  # fmt: skip
    story.dose(methadone, day(2), "40")
    story.dose(bup, day(2), "2", form="sublingual film", hour=10)

    story.on(day(2), 12)
    with pytest.raises(RuleViolation) as step:
        story.change(methadone, "20", day(3))
    assert step.value.rule == DUPLICATE
    lower = story.change(methadone, "20", day(3), ack={DUPLICATE: PLAN})
    story.dose(lower, day(3), "20")
    story.on(day(3), 12)
    story.discontinue(lower, stopped_at=at(day(3), 11), reason="cross-titration complete")

    story.dose(bup, day(3), "2", form="sublingual film", hour=13)
    story.on(day(4), 12)
    story.change(bup, "8", day(5))
