"""The SOWS, the client's own rating of opioid withdrawal, is scored from its sixteen items,
banded, asks for the dose review the COWS does in maintenance, and the check-in events of
schema version 2 read as they were."""

from __future__ import annotations

import json

import pytest
from alert_story import PEER, Story, answers_totalling

from carecoord.events import catalog
from carecoord.events.checkins import CheckInEnteredInError, Instrument, InstrumentScored
from carecoord.events.envelope import type_name
from carecoord.services.checkins import commands as checkins
from carecoord.services.checkins.instruments import INSTRUMENTS, score
from carecoord.services.kernel.errors import InvalidInput

SOWS = INSTRUMENTS[Instrument.SOWS]


def scored(story: Story) -> InstrumentScored:
    return [e for e in story.events() if isinstance(e, InstrumentScored)][-1]


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "no withdrawal reported"), (1, "mild"), (10, "mild"), (11, "moderate"),
     (20, "moderate"), (21, "severe"), (64, "severe")],
)  # fmt: skip
def test_sows_totals_its_sixteen_items_into_the_forms_bands(total: int, band: str) -> None:
    found = score(SOWS, answers_totalling(Instrument.SOWS, total))
    assert (found.total, found.band) == (total, band)
    assert len(SOWS.items) == 16
    assert SOWS.meaning("16", 3) == "quite a bit"


def test_sows_refuses_an_answer_off_the_0_to_4_scale_and_a_missing_item() -> None:
    every = dict.fromkeys(map(str, range(1, 17)), 1)
    with pytest.raises(InvalidInput) as off_scale:
        score(SOWS, every | {"4": 5})
    refusal = (off_scale.value.field, off_scale.value.rule)
    assert refusal == ("answers.3.value", "answer-out-of-range")
    with pytest.raises(InvalidInput) as short:
        score(SOWS, {k: v for k, v in every.items() if k != "16"})
    assert (short.value.field, short.value.rule) == ("answers", "instrument-incomplete")


def test_a_self_reported_sows_is_recorded_and_reads_moderate_withdrawal_in_maintenance() -> None:
    story = Story()
    story.instrument(Instrument.SOWS, answers_totalling(Instrument.SOWS, 14), actor=PEER)
    event = scored(story)
    assert (event.total, event.band, event.source.value) == (14, "moderate", "peer_supporter")
    assert event.scoring_version == "sows-1987.1"
    assert story.fired() == [], "no agonist order: nothing to review"

    order = story.prescribe("methadone")
    story.dose(order)
    story.later(days=8)
    story.instrument(Instrument.SOWS, answers_totalling(Instrument.SOWS, 10), actor=PEER)
    assert story.fired() == [], "mild withdrawal"
    story.instrument(Instrument.SOWS, answers_totalling(Instrument.SOWS, 11), actor=PEER)
    [alert] = story.alerts()
    assert (alert.rule_id, alert.rule_version) == ("sows-maintenance", "1")
    assert alert.detail == "SOWS total 11 (moderate)"


def test_check_in_events_of_version_2_read_as_they_were() -> None:
    story = Story()
    assessment = story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 6))
    story.later(hours=1)
    story.run(
        checkins.mark_entered_in_error(
            story.stamp(PEER),
            client_id=story.client_id,
            entry_id=assessment,
            reason="wrong",
            rules=story.rules,
        )
    )
    for recorded in (
        scored(story),
        *[e for e in story.events() if isinstance(e, CheckInEnteredInError)],
    ):
        body = json.loads(catalog.encode(recorded))
        body["schema_version"] = 2
        event = catalog.decode(type_name(type(recorded)), json.dumps(body).encode())
        assert event == recorded
        assert event.schema_version == 3
