"""A medication from elsewhere ended with a reason that shows nothing (spaces, zero-width
characters) is ended with none, as one with no reason is: the zero-width one was kept, and the
medication list read it as the reason the client stopped, a blank."""

from __future__ import annotations

from uuid import uuid4

import pytest
from medication_story import Story

from carecoord.events.medication import MedicationStatementEnded, StatementSource
from carecoord.services.medication import statements
from carecoord.services.medication.statements import Statement


@pytest.mark.parametrize(
    ("given", "kept"),
    [(" \u200b\u2060 ", ""), ("", ""), ("  finished the course ", "finished the course")],
)
def test_a_statements_end_keeps_a_reason_only_if_it_shows(given: str, kept: str) -> None:
    story, statement = Story(), uuid4()
    statements.record_statement(
        story.record, story.stamp(), story.rules, statement,
        Statement("sertraline", StatementSource.CLIENT),
    )  # fmt: skip

    statements.end_statement(story.record, story.stamp(), story.rules, statement, given)

    [ended] = story.events(MedicationStatementEnded)
    assert ended.reason == kept
