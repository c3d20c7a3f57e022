"""Methadone dosed at another program (a statement) beside a methadone order here is
duplicate therapy, the dual enrolment a central registry exists to catch: the check passed
over any pair of the same medication, so neither the statement nor the order found it.
The same medication ordered again here (a dose change, a restart) is still no finding."""

from __future__ import annotations

from uuid import uuid4

import pytest
from medication_story import Story, at, day

from carecoord.events.medication import InteractionFound, StatementSource
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import statements
from carecoord.services.medication.statements import Statement

RULE = "duplicate-opioid-treatment"


def elsewhere(story: Story, medication: str = "methadone") -> list[InteractionFound]:
    return statements.record_statement(
        story.record, story.stamp(), story.rules, uuid4(),
        Statement(medication, StatementSource.OTHER_PRESCRIBER, source_detail="Riverside OTP"),
    )  # fmt: skip


def test_methadone_from_another_program_beside_an_order_here_is_found() -> None:
    story = Story()
    story.prescribe()

    found = elsewhere(story)

    assert [f.rule_id for f in found] == [RULE]


def test_an_order_beside_methadone_from_another_program_needs_an_acknowledgement() -> None:
    story = Story()
    elsewhere(story)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe()
    assert (refused.value.field, refused.value.rule) == ("acknowledgements", RULE)
    assert len(story.record.pending) == recorded

    story.prescribe(ack={RULE: "transfer: Riverside OTP's last dose was yesterday"})
    assert [e.rule_id for e in story.events(InteractionFound)] == [RULE]


def test_an_order_after_the_other_program_stopped_or_a_dose_change_here_is_no_finding() -> None:
    story = Story()
    elsewhere(story)
    [statement] = story.record.statements
    story.on(day(2))
    statements.end_statement(
        story.record, story.stamp(), story.rules, statement, "transferred", at(day(1), 10)
    )
    order = story.prescribe(start=day(2))
    story.change(order, "80", day(3))

    assert story.events(InteractionFound) == []
