"""A medication from elsewhere reported with a dose is held to its unit: in the formulary's
unit written otherwise (``MG``, `` mg ``) to the medication's limit, as one in ``mg`` is, and
recorded in ``mg`` (methadone 5000 MG was recorded, past the data-entry guard that refuses
5000 mg); with no unit, refused."""

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


@pytest.mark.parametrize("unit", ["", "  ", "\u200b"])
def test_a_dose_reported_without_a_unit_is_refused_naming_unit(unit: str) -> None:
    """A dose of nothing named was recorded past every guard (methadone 80000 with no unit)."""
    story = Story()

    with pytest.raises(InvalidInput) as refused:
        reported(story, "80000", unit)

    assert (refused.value.field, refused.value.rule) == ("unit", "unit-with-dose")
    assert story.events(MedicationStatementRecorded) == []
