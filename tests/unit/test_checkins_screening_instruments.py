"""AUDIT and DAST-10 are recorded through the same command as the other instruments, a
PHQ-9 with one or two items unanswered is recorded prorated and says so, and the events
recorded before either (schema version 1) read as they were."""

from __future__ import annotations

import json

from alert_story import NURSE, PEER, Story, answers_totalling

from carecoord.events import catalog
from carecoord.events.checkins import CheckInEnteredInError, Instrument, InstrumentScored
from carecoord.projections.audit import checkins as fhir
from carecoord.projections.audit.fhir import Resources
from carecoord.services.checkins import commands as checkins


def scored(story: Story) -> InstrumentScored:
    found = [e for e in story.events() if isinstance(e, InstrumentScored)]
    return found[-1]


def test_audit_and_dast10_are_self_reported_scored_and_banded() -> None:
    story = Story()
    story.instrument(Instrument.AUDIT, answers_totalling(Instrument.AUDIT, 21), actor=PEER)
    audit = scored(story)
    assert (audit.total, audit.band, audit.source.value) == (
        21,
        "zone IV: possible dependence",
        "peer_supporter",
    )
    assert audit.scoring_version == "audit-who2001.1"
    assert audit.summary() == "AUDIT: 21 (zone IV: possible dependence)"

    no_to_all = dict.fromkeys(map(str, range(1, 11)), 0)
    story.instrument(Instrument.DAST10, no_to_all | {"1": 1, "2": 1}, actor=PEER)
    dast = scored(story)
    assert (dast.total, dast.band, dast.answers["3"]) == (3, "moderate", 0)
    assert story.fired() == ["audit-zone-iv"]

    exported = Resources()
    fhir.scored(exported, audit)
    fhir.scored(exported, dast)
    codes = [o["code"]["coding"][0]["code"] for o in exported]
    assert codes == ["75624-7", "82667-7"]  # LOINC: Total score [AUDIT], [DAST-10]


def test_a_prorated_phq9_is_recorded_with_its_unanswered_items() -> None:
    story = Story()
    answers = {"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 2, "8": 0, "10": 1}
    story.instrument(Instrument.PHQ9, answers)
    event = scored(story)
    assert (event.total, event.band, event.unanswered) == (12, "moderate", ("9",))
    assert "9" not in event.answers
    assert event.summary() == "PHQ-9: 12 (moderate; prorated, item 9 unanswered)"
    assert event.scoring_version == "phq9-2001.2"

    exported = Resources()
    fhir.scored(exported, event)
    [observation] = exported
    assert observation["valueInteger"] == 12
    assert observation["interpretation"] == [{"text": "moderate; prorated, item 9 unanswered"}]


def test_scores_of_version_1_read_as_answering_every_item() -> None:
    story = Story()
    story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 6))
    recorded = scored(story)
    body = json.loads(catalog.encode(recorded))
    del body["unanswered"]
    body["schema_version"] = 1

    event = catalog.decode("checkins.InstrumentScored", json.dumps(body).encode())

    assert event == recorded
    assert isinstance(event, InstrumentScored)
    assert (event.unanswered, event.schema_version) == ((), InstrumentScored.version)


def test_a_correction_of_version_1_reads_as_it_was() -> None:
    story = Story()
    assessment = story.instrument(Instrument.PHQ9, answers_totalling(Instrument.PHQ9, 3))
    story.later(hours=1)
    story.run(
        checkins.mark_entered_in_error(
            story.stamp(NURSE),
            client_id=story.client_id,
            entry_id=assessment,
            reason="wrong",
            rules=story.rules,
        )
    )
    [recorded] = [e for e in story.events() if isinstance(e, CheckInEnteredInError)]
    body = json.loads(catalog.encode(recorded))
    body["schema_version"] = 1

    event = catalog.decode("checkins.CheckInEnteredInError", json.dumps(body).encode())

    assert event == recorded
    assert event.schema_version == CheckInEnteredInError.version
