"""Two treatments for opioid use disorder at once are duplicate therapy: buprenorphine beside
buprenorphine/naloxone (another formulary code, the same drug) doubled the dose with no
finding, and methadone beside buprenorphine was only a moderate serotonergic note. It is a
high-severity finding the prescriber acknowledges (a planned cross-titration), and it
clears once the other treatment stopped acting."""

from __future__ import annotations

import pytest
from medication_story import Story, at, day

from carecoord.events.medication import InteractionFound
from carecoord.services.kernel.errors import RuleViolation

RULE = "duplicate-opioid-treatment"
ACK = {RULE: "cross-titration from methadone, planned with the client"}


def rules_found(story: Story) -> set[str]:
    return {e.rule_id for e in story.events(InteractionFound)}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("buprenorphine", "16", "sublingual"), ("buprenorphine-naloxone", "16", "sublingual")),
        (("methadone", "60", "oral"), ("buprenorphine", "8", "sublingual")),
        (("buprenorphine-naloxone", "16", "sublingual"), ("methadone", "30", "oral")),
    ],
)
def test_a_second_opioid_treatment_needs_an_acknowledgement(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    story = Story()
    story.prescribe(first[0], first[1], route=first[2])
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe(second[0], second[1], route=second[2])
    assert (refused.value.field, refused.value.rule) == ("acknowledgements", RULE)
    assert len(story.record.pending) == recorded

    story.prescribe(second[0], second[1], route=second[2], ack=ACK)
    assert RULE in rules_found(story)


def test_a_switch_after_the_last_dose_is_no_duplicate() -> None:
    story = Story()
    methadone = story.prescribe()
    story.dose(methadone, day(1))
    story.on(day(2))
    story.discontinue(methadone, stopped_at=at(day(1), 10), reason="switching")

    story.prescribe("buprenorphine", "8", route="sublingual", start=day(3))

    assert RULE not in rules_found(story)


def test_a_dose_change_is_no_duplicate() -> None:
    story = Story()
    bup = story.prescribe("buprenorphine", "8", route="sublingual")
    story.change(bup, "16", day(2))

    assert RULE not in rules_found(story)
