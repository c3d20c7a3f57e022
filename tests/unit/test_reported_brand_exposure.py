"""A substance a client reports by its brand at a check-in is the drug a screen would find:
Norco, Dilaudid or Ultram said taken before naltrexone was no opioid exposure, and Restoril
or Fioricet beside methadone no depressant, since only the generic names counted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alert_story import DOCTOR, PEER, Story

from carecoord.events import Schedule
from carecoord.services.checkins.analytes import reported
from carecoord.services.medication import commands as medication
from carecoord.services.medication.commands import Written
from carecoord.services.medication.prescribing import NewOrder


def order(story: Story, code: str, dose: str, **acks: str) -> Written:
    new = NewOrder(
        code, Decimal(dose), "mg", "oral", Schedule(), story.medication.day_of(story.now), None,
        acknowledgements=acks,
    )  # fmt: skip
    written: Written = story.run(
        medication.prescribe(story.stamp(DOCTOR), client_id=story.client_id, order=new)
    )
    return written


@pytest.mark.parametrize(
    ("said", "analyte"),
    [
        ("Norco", "hydrocodone"),
        ("vicodin", "hydrocodone"),
        ("Dilaudid", "hydromorphone"),
        ("MS Contin", "morphine"),
        ("Ultram", "tramadol"),
        ("Restoril", "benzodiazepines"),
        ("Fioricet", "barbiturates"),
    ],
)
def test_a_brand_is_its_analyte(said: str, analyte: str) -> None:
    assert reported([said]) == {analyte}


def test_naltrexone_after_norco_reported_is_a_hard_stop() -> None:
    story = Story()
    story.check_in(PEER, substance_use=True, substances=("Norco",), note="took a couple")
    story.later(days=1)

    refused = order(story, "naltrexone", "50").refused

    assert refused is not None
    assert refused.rule_id == "naltrexone-opioid-agonist"
    assert refused.exposure is not None
    assert refused.exposure.medication == "hydrocodone"


def test_methadone_after_restoril_reported_meets_the_depressant_rule() -> None:
    story = Story()
    story.check_in(PEER, substance_use=True, substances=("Restoril",), note="to sleep")

    written = order(
        story, "methadone", "30", **{"opioid-cns-depressant": "counselled; naloxone given"}
    )

    assert [f.rule_id for f in written.findings] == ["opioid-cns-depressant"]
