"""A medication from elsewhere reported in the formulary's unit written otherwise (``MG``,
`` mg ``) is held to the medication's limit, as one in ``mg`` is, and recorded in ``mg``:
methadone 5000 MG was recorded, past the data-entry guard that refuses 5000 mg."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from medication_story import Story

from carecoord.events.medication import MedicationStatementRecorded, StatementSource
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.medication import statements
from carecoord.services.medication.statements import Statement


def reported(story: Story, dose: str, unit: str) -> None:
    statement = Statement("methadone", StatementSource.OTHER_PRESCRIBER, Decimal(dose), unit)
    statements.record_statement(story.record, story.stamp(), story.rules, uuid4(), statement)


@pytest.mark.parametrize("unit", ["mg", "MG", " mg ", "Mg"])
def test_a_dose_in_the_formulary_unit_however_written_is_held_to_the_limit(unit: str) -> None:
    story = Story()

    with pytest.raises(InvalidInput) as refused:
        reported(story, "5000", unit)

    assert (refused.value.field, refused.value.rule) == ("dose", "dose-limit")
    reported(story, "80", unit)
    [recorded] = story.events(MedicationStatementRecorded)
    assert (recorded.dose, recorded.unit) == (Decimal(80), "mg")


def test_a_dose_in_another_unit_is_recorded_as_reported() -> None:
    story = Story()
    reported(story, "5000", "mL")
    [recorded] = story.events(MedicationStatementRecorded)
    assert recorded.unit == "mL"
