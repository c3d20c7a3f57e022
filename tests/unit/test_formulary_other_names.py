"""A medication the client names by its brand (Xanax, Norco, Suboxone) or with its salt
(methadone hydrochloride) is the formulary's medication, recorded by its code: such a
statement was refused as not in the formulary, and hydrocodone, morphine or phenobarbital
could not be recorded at all, so the opioid-sedative and naltrexone rules never saw what the
client said they took."""

from __future__ import annotations

from uuid import uuid4

import pytest
from medication_story import Story, day

from carecoord.events.medication import (
    InteractionFound,
    MedicationStatementRecorded,
    StatementSource,
)
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.medication import statements
from carecoord.services.medication.findings import HardStop
from carecoord.services.medication.formulary import FORMULARY
from carecoord.services.medication.statements import Statement


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("Xanax", "alprazolam"),
        (" SUBOXONE ", "buprenorphine-naloxone"),
        ("Buprenorphine / Naloxone", "buprenorphine-naloxone"),
        ("methadone hydrochloride", "methadone"),
        ("Methadone  HCl", "methadone"),
        ("Dilaudid HCl", "hydromorphone"),
        ("morphine sulfate", "morphine"),
        ("Percocet", "oxycodone"),
        ("Vivitrol", "naltrexone-xr"),
        ("phenobarbital", "phenobarbital"),
    ],
)
def test_a_brand_or_salt_is_the_formularys_medication(said: str, code: str) -> None:
    assert FORMULARY.lookup(said).code == code


@pytest.mark.parametrize("said", ["Brixadi", "hydrochloride", "aspirin", "xanax xr tablets"])
def test_what_the_formulary_does_not_know_is_still_refused(said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        FORMULARY.lookup(said)
    assert (refused.value.field, refused.value.rule) == ("medication", "not-in-formulary")


def stated(story: Story, said: str) -> list[InteractionFound]:
    return statements.record_statement(
        story.record, story.stamp(), story.rules, uuid4(),
        Statement(said, StatementSource.OTHER_PRESCRIBER),
    )  # fmt: skip


def test_a_brand_taken_elsewhere_meets_the_rules_by_its_code() -> None:
    story = Story()
    story.prescribe("methadone", "40", start=day(1))
    found = stated(story, "Xanax")
    assert [f.rule_id for f in found] == ["opioid-cns-depressant"]
    [statement] = story.events(MedicationStatementRecorded)
    assert statement.medication == "alprazolam"


def test_hydrocodone_said_taken_stops_naltrexone() -> None:
    story = Story()
    stated(story, "Norco")
    with pytest.raises(HardStop) as refused:
        story.prescribe("naltrexone", "50", start=day(1))
    assert refused.value.match.rule.id == "naltrexone-opioid-agonist"
