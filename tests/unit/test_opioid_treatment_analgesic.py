"""A full-agonist opioid prescribed for pain beside methadone or buprenorphine is the high
finding opioid-treatment-opioid-analgesic: the table had no rule on the pair, so oxycodone
was written beside methadone, or buprenorphine started on tramadol, with no finding at all.
It asks for the pain plan acknowledged (never a hard stop), names its version in the
refusal, and clears when the analgesic course has ended; an opioid found on a screen is no
analgesic prescribed."""

from __future__ import annotations

from uuid import uuid4

import pytest
from medication_story import Story, day

from carecoord.events.medication import InteractionFound, StatementSource
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import statements
from carecoord.services.medication.statements import Statement

RULE = "opioid-treatment-opioid-analgesic"
ACK = {RULE: "post-operative pain for 3 days, agreed with the surgeon; naloxone given"}


def found(story: Story) -> list[str]:
    return [e.rule_id for e in story.events(InteractionFound)]


@pytest.mark.parametrize(
    ("treatment", "dose", "route", "analgesic"),
    [
        ("methadone", "60", "oral", "oxycodone"),
        ("methadone", "60", "oral", "morphine"),
        ("buprenorphine", "16", "sublingual", "tramadol"),
        ("buprenorphine-naloxone", "16", "sublingual", "hydrocodone"),
    ],
)
def test_an_analgesic_beside_the_treatment_needs_the_pain_plan_acknowledged(
    treatment: str, dose: str, route: str, analgesic: str
) -> None:
    story = Story()
    story.prescribe(treatment, dose, route=route)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe(analgesic, "10", end=day(3))
    assert (refused.value.field, refused.value.rule) == ("acknowledgements", RULE)
    assert refused.value.details["ruleVersion"] == "1"
    assert len(story.record.pending) == recorded

    story.prescribe(analgesic, "10", end=day(3), ack=ACK)
    assert found(story) == [RULE]


def test_the_treatment_written_beside_an_analgesic_from_elsewhere_is_found() -> None:
    story = Story()
    statements.record_statement(
        story.record, story.stamp(), story.rules, uuid4(),
        Statement("Percocet", StatementSource.OTHER_PRESCRIBER, source_detail="ED"),
    )  # fmt: skip

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("buprenorphine", "8", route="sublingual")
    assert refused.value.rule == RULE

    story.prescribe("buprenorphine", "8", route="sublingual", ack=ACK)
    assert found(story) == [RULE]


def test_after_the_analgesic_course_ended_the_treatment_is_no_finding() -> None:
    story = Story()
    story.prescribe("oxycodone", "10", end=day(3))
    story.on(day(4))

    story.prescribe(start=day(4))

    assert RULE not in found(story)


def test_an_opioid_found_on_a_screen_is_no_analgesic_prescribed() -> None:
    story = Story()
    story.screened(day(1), "oxycodone", "fentanyl")

    story.prescribe()

    assert RULE not in found(story)


def test_two_analgesics_are_no_finding_of_it() -> None:
    story = Story()
    story.prescribe("oxycodone", "10")
    story.prescribe("morphine", "15")

    assert RULE not in found(story)
