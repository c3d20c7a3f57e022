"""Alerts are acknowledged and resolved with notes, history kept; replay gives the same alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_story import DOCTOR, Story, answers_totalling

from carecoord.events.alerts import AlertAcknowledged, AlertRaised, AlertResolved
from carecoord.events.checkins import Instrument
from carecoord.services.alerts import commands as alert_commands
from carecoord.services.alerts.replay import replay
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.therapy.record import Outcome


def test_acknowledge_then_resolve_keeps_the_history() -> None:
    story = Story()
    story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 12))
    [alert] = story.alerts()
    story.acknowledge(alert.alert_id, "left a message")
    story.resolve(alert.alert_id, "seen in clinic; plan updated")
    lifecycle = [e for e in story.events() if getattr(e, "alert_id", None) == alert.alert_id]
    assert [type(e) for e in lifecycle] == [AlertRaised, AlertAcknowledged, AlertResolved]
    assert [getattr(e, "note", "") for e in lifecycle][1:] == [
        "left a message",
        "seen in clinic; plan updated",
    ]


def test_resolving_needs_a_note_and_happens_once() -> None:
    story = Story()
    story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 12))
    [alert] = story.alerts()
    with pytest.raises(InvalidInput) as refused:
        story.resolve(alert.alert_id, note="  ")
    assert refused.value.rule == "note-required"
    story.resolve(alert.alert_id)  # straight from open: acknowledging is optional
    with pytest.raises(RuleViolation) as again:
        story.resolve(alert.alert_id)
    assert again.value.rule == "alert-resolved"
    with pytest.raises(RuleViolation) as late:
        story.acknowledge(alert.alert_id)
    assert late.value.rule == "alert-not-open"


def test_a_resolution_is_not_dated_before_the_acknowledgement_it_follows() -> None:
    """Its history showed the alert resolved before anyone had seen it."""
    story = Story()
    story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 12))
    [alert] = story.alerts()
    story.acknowledge(alert.alert_id)  # an hour after it was raised

    def resolve(minutes_after_raised: int) -> None:
        story.run(
            alert_commands.resolve_alert(
                story.stamp(DOCTOR),
                client_id=story.client_id,
                alert_id=alert.alert_id,
                note="seen in clinic",
                occurred_at=alert.occurred_at + timedelta(minutes=minutes_after_raised),
            )
        )

    with pytest.raises(InvalidInput) as early:
        resolve(30)
    assert (early.value.field, early.value.rule) == ("occurredAt", "after-acknowledged")
    resolve(60)
    assert [type(e) for e in story.events()][-2:] == [AlertAcknowledged, AlertResolved]


def test_a_step_dated_a_little_ahead_counts_from_its_recording() -> None:
    """A workstation clock three minutes fast acknowledged it; a colleague's resolution at the
    right time was refused as before the acknowledgement."""
    story = Story()
    story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 12))
    [alert] = story.alerts()
    story.later(hours=1)
    steps = ((alert_commands.acknowledge_alert, 3), (alert_commands.resolve_alert, 0))
    for command, ahead in steps:
        story.run(
            command(
                story.stamp(DOCTOR),
                client_id=story.client_id,
                alert_id=alert.alert_id,
                note="seen in clinic",
                occurred_at=story.now + timedelta(minutes=ahead),
            )
        )
    taken = [e for e in story.events() if isinstance(e, AlertAcknowledged | AlertResolved)]
    assert [(type(e), e.occurred_at) for e in taken] == [
        (AlertAcknowledged, story.now), (AlertResolved, story.now),
    ]  # fmt: skip


def test_an_unknown_alert_is_not_found() -> None:
    story = Story()
    with pytest.raises(NotFound):
        story.resolve(story.client_id)


def test_replaying_the_recorded_history_gives_the_same_alerts() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.dose(order)
    story.later(days=8)
    for craving in (30, 35, 25, 30, 32):
        story.check_in(craving=craving)
    story.instrument(Instrument.PHQ9, answers_totalling(Instrument.PHQ9, 8) | {"9": 2})
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 14))
    story.vitals(qtc_ms=470)
    story.screen(benzodiazepines="positive", methadone="negative", eddp="negative")
    for craving in (55, 60, 66):
        story.check_in(craving=craving)
    story.session(Outcome.NO_SHOW)
    story.session(Outcome.NO_SHOW)
    first = story.alerts()[-1]
    story.resolve(first.alert_id)
    story.session(Outcome.NO_SHOW)
    story.session(Outcome.NO_SHOW)
    story.check_in(substance_use=True, substances=("heroin",), craving=80)

    recorded = story.alerts()
    assert {a.rule_id for a in recorded} >= {
        "phq9-item9", "cows-maintenance", "qtc-methadone-prolonged",
        "screen-depressant-on-agonist", "screen-negative-for-agonist", "craving-rise",
        "repeated-no-shows", "substance-use-reported",
    }  # fmt: skip
    assert replay(DEFAULT_ALERT_RULES, story.events()) == recorded
