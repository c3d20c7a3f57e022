"""A medication statement recorded in error (the wrong client, a medication never taken) is
marked so by a new event, never edited, by a reason; it counts nowhere after. Before, the
only way out of the picture was to end it, which kept it an exposure through its washout and
told every reader the client had taken it."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, day

from carecoord.events.medication import (
    MedicationStatementEnteredInError,
    StatementSource,
)
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.medication import statements
from carecoord.services.medication.exposure import picture
from carecoord.services.medication.statements import Statement

DUPLICATE = "duplicate-opioid-treatment"


def elsewhere(story: Story) -> UUID:
    """Methadone reported from another program: a duplicate of any methadone order here."""
    statement_id = uuid4()
    statements.record_statement(
        story.record, story.stamp(), story.rules, statement_id,
        Statement("methadone", StatementSource.OTHER_PRESCRIBER, source_detail="Riverside"),
    )  # fmt: skip
    return statement_id


def mark(story: Story, statement_id: UUID, reason: str = "another client's report") -> None:
    statements.enter_in_error(story.record, story.stamp(NURSE), story.rules, statement_id, reason)


def test_a_statement_in_error_leaves_the_picture_and_raises_no_finding() -> None:
    story = Story()
    statement_id = elsewhere(story)
    with pytest.raises(RuleViolation) as refused:
        story.prescribe()
    assert refused.value.rule == DUPLICATE

    story.on(day(2))
    mark(story, statement_id)

    [marked] = story.events(MedicationStatementEnteredInError)
    assert (marked.statement_id, marked.medication, marked.reason, marked.actor.id) == (
        statement_id,
        "methadone",
        "another client's report",
        NURSE.id,
    )
    assert picture(story.record, story.rules, day(2)) == []
    story.prescribe(start=day(2))


def test_an_ended_statement_may_be_marked_once_with_a_reason() -> None:
    story = Story()
    statement_id = elsewhere(story)
    statements.end_statement(story.record, story.stamp(), story.rules, statement_id, "")

    with pytest.raises(InvalidInput) as blank:
        mark(story, statement_id, " \u200b ")
    assert (blank.value.field, blank.value.rule) == ("reason", "reason-required")
    mark(story, statement_id)
    with pytest.raises(RuleViolation) as twice:
        mark(story, statement_id)
    assert (twice.value.field, twice.value.rule) == ("statementId", "not-in-error")
    assert "already marked entered in error on 2026-01-01 by nurse-kim" in twice.value.message
    with pytest.raises(NotFound) as unknown:
        mark(story, uuid4())
    assert unknown.value.rule == "unknown-statement"
    assert len(story.events(MedicationStatementEnteredInError)) == 1
