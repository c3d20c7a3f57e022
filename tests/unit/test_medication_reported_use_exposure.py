"""Use a client reports at a check-in is exposure the interaction rules count, as a screen's
finding is: naltrexone the day after the client said they used heroin precipitates
withdrawal, disulfiram the day they said they drank reacts. The prescriber was let write
both with no finding, since only a drug screen counted."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest
from alert_story import DOCTOR, NURSE, PEER, Story

from carecoord.events import Actor, Schedule
from carecoord.events.checkins import CheckInRecorded
from carecoord.services.checkins import commands as checkins
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import commands as medication
from carecoord.services.medication.commands import Written
from carecoord.services.medication.prescribing import NewOrder

CLIENT_SAID = "I used last night"


def order(story: Story, code: str, dose: str, **acks: str) -> Written:
    """``code`` prescribed by the doctor from today, acknowledging ``acks``."""
    new = NewOrder(
        code, Decimal(dose), "mg", "oral", Schedule(), story.medication.day_of(story.now), None,
        acknowledgements={rule.replace("_", "-"): why for rule, why in acks.items()},
    )  # fmt: skip
    written: Written = story.run(
        medication.prescribe(story.stamp(DOCTOR), client_id=story.client_id, order=new)
    )
    return written


def reported(story: Story, *substances: str, actor: Actor = PEER) -> UUID:
    return story.check_in(actor, substance_use=True, substances=substances, note=CLIENT_SAID)


def test_naltrexone_the_day_after_reported_heroin_use_is_a_hard_stop() -> None:
    story = Story()
    said = reported(story, "Heroin")
    [check_in] = [e for e in story.events() if isinstance(e, CheckInRecorded)]
    assert check_in.event_id == said
    story.later(days=1)

    written = order(story, "naltrexone", "50")

    refused = written.refused
    assert refused is not None
    assert refused.rule_id == "naltrexone-opioid-agonist"
    counted = refused.exposure
    assert counted is not None
    assert (counted.id, counted.medication) == (check_in.checkin_id, "opiates")
    assert counted.basis.startswith("use reported at a check-in")
    assert counted.washout_days == 7


@pytest.mark.parametrize("drink", ["beer", "EtOH", "vodka"])
def test_disulfiram_the_day_drinking_was_reported_needs_the_abstinence_acknowledged(
    drink: str,
) -> None:
    story = Story()
    reported(story, drink, actor=NURSE)

    with pytest.raises(RuleViolation) as refused:
        order(story, "disulfiram", "250")
    assert (refused.value.field, refused.value.rule) == (
        "acknowledgements",
        "disulfiram-alcohol-product",
    )

    written = order(story, "disulfiram", "250", disulfiram_alcohol_product="breathalyzer 0.00")
    assert [f.rule_id for f in written.findings] == ["disulfiram-alcohol-product"]


def test_a_check_in_in_error_is_no_longer_exposure() -> None:
    story = Story()
    wrong = reported(story, "fentanyl")
    story.later(hours=1)
    story.run(
        checkins.mark_entered_in_error(
            story.stamp(NURSE),
            client_id=story.client_id,
            entry_id=wrong,
            reason="other client",
            rules=story.rules,
        )
    )

    written = order(story, "naltrexone", "50")

    assert (written.refused, written.findings) == (None, ())


def test_use_of_a_substance_no_medication_rule_reads_is_no_exposure() -> None:
    story = Story()
    reported(story, "cannabis", "cocaine")

    written = order(story, "naltrexone", "50")

    assert (written.refused, written.findings) == (None, ())
