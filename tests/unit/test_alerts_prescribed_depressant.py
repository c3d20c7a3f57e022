"""A benzodiazepine the client is prescribed, found on a screen while on methadone, is the
expected finding of the order, not the unexplained use the high overdose-risk alert is for:
version 5 of screen-depressant-on-agonist raised that high alert on every screen showing it.
Version 6 leaves it out, and screen-prescribed-depressant-on-agonist (moderate, naming the
prescription) raises once while its alert is open; an unprescribed depressant, alcohol, a
held or stopped order, or use told at a check-in still raise the high alert."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from alert_story import DOCTOR, NURSE, Story

from carecoord.events import Schedule
from carecoord.events.medication import StatementSource
from carecoord.services.medication import commands as medication
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.statements import Statement

HIGH = "screen-depressant-on-agonist"
EXPECTED = "screen-prescribed-depressant-on-agonist"
PLAN = {"opioid-cns-depressant": "panic disorder; taper planned with psychiatry, naloxone given"}


def on_methadone_and(sedative: str = "lorazepam", start: date | None = None) -> tuple[Story, UUID]:
    story = Story()
    story.prescribe("methadone")
    order = NewOrder(
        sedative, Decimal(1), "mg", "oral", Schedule(), start or story.medication.day_of(story.now),
        acknowledgements=PLAN,
    )  # fmt: skip
    written = story.run(
        medication.prescribe(
            story.stamp(DOCTOR), client_id=story.client_id, order=order, rules=story.medication
        )
    )
    return story, written.id


def test_a_prescribed_benzodiazepine_raises_the_moderate_review_once_while_open() -> None:
    story, _ = on_methadone_and("lorazepam")

    story.screen(benzodiazepines="positive", methadone="positive")
    story.screen(benzodiazepines="positive", methadone="positive")

    [alert] = story.alerts()
    assert (alert.rule_id, alert.rule_version, alert.severity) == (EXPECTED, "1", "moderate")
    assert alert.detail == (
        "positive for benzodiazepines while on methadone; expected: lorazepam prescribed"
    )

    story.resolve(alert.alert_id)
    story.screen(benzodiazepines="positive")
    assert story.fired() == [EXPECTED, EXPECTED]


def test_what_the_prescription_does_not_explain_still_raises_the_high_alert() -> None:
    story, _ = on_methadone_and("zolpidem")

    story.screen(benzodiazepines="positive", zolpidem="positive", etg="positive")

    high = {a.rule_id: a for a in story.alerts()}
    assert high[HIGH].rule_version == "6"
    assert high[HIGH].detail == "positive for benzodiazepines, etg while on methadone"
    assert high[EXPECTED].detail == (
        "positive for zolpidem while on methadone; expected: zolpidem prescribed"
    )


def test_a_held_sedative_order_explains_nothing() -> None:
    story, lorazepam = on_methadone_and("lorazepam")
    story.hold(lorazepam, "over-sedated at the window")

    story.screen(benzodiazepines="positive")

    assert story.fired() == [HIGH]


def test_use_told_at_a_check_in_is_never_expected() -> None:
    story, _ = on_methadone_and("alprazolam")

    story.check_in(NURSE, substance_use=True, substances=["Xanax"])

    assert sorted(story.fired()) == [HIGH, "substance-use-reported"]


def test_a_benzodiazepine_another_prescriber_reports_explains_the_screen() -> None:
    story = Story()
    story.prescribe("methadone")
    for source in (StatementSource.CLIENT, StatementSource.OTHER_PRESCRIBER):
        story.run(
            medication.record_statement(
                story.stamp(NURSE), client_id=story.client_id,
                statement=Statement("clonazepam", source), rules=story.medication,
            )
        )  # fmt: skip
        story.screen(benzodiazepines="positive")

    assert story.fired() == [HIGH, EXPECTED]
