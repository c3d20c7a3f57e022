"""A discharge closes, in its own transaction, what would leave the record telling of
treatment that will not happen: the client's sessions booked to begin after it are
cancelled, not late-cancelled (their leader's time free again) and a guest-dosing
arrangement in force ends from its day. What came before it is left as it was."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from alert_story import DOCTOR, NURSE, THERAPIST, Story
from test_therapy_therapist_double_booking import book, client

from carecoord.events.care import DischargeReason
from carecoord.events.medication import GuestDosingEnded
from carecoord.events.therapy import CancellationReason, SessionCancelled, SessionLateCancelled
from carecoord.services.alerts.replay import replay
from carecoord.services.care import commands as care
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.medication import dispensing
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def discharge(story: Story) -> None:
    story.run(
        care.discharge_client(
            story.stamp(DOCTOR), client_id=story.client_id, reason=DischargeReason.INCARCERATED
        )
    )


def cancelled(story: Story) -> dict[UUID, SessionCancelled]:
    return {e.session_id: e for e in story.events() if isinstance(e, SessionCancelled)}


def test_sessions_booked_after_the_discharge_are_cancelled_and_their_slots_free() -> None:
    story = Story()
    earlier = book(story, [story.client_id], story.now + timedelta(hours=1))
    later_slot = story.now + timedelta(days=3)
    later = book(story, [story.client_id], later_slot)
    other = client(story)
    group_slot = story.now + timedelta(days=4)
    group = book(story, [story.client_id, other], group_slot)
    discharged_at = story.later(days=1)

    discharge(story)

    assert set(cancelled(story)) == {later, group}
    assert not any(isinstance(e, SessionLateCancelled) for e in story.events())
    assert earlier not in cancelled(story)
    event = cancelled(story)[later]
    assert (event.client_id, event.occurred_at, event.reason, event.note, event.actor) == (
        story.client_id, discharged_at, CancellationReason.CLIENT_DISCHARGED, "", DOCTOR,
    )  # fmt: skip
    # The therapist's hour is free: another client is booked into it.
    book(story, [other], later_slot)
    # The group goes on for its other member, so its leader stays booked then.
    with pytest.raises(RuleViolation) as refusal:
        book(story, [client(story)], group_slot)
    assert refusal.value.rule == "therapist-booked-then"


def medication(story: Story) -> MedicationRecord:
    record = story.touched[aggregate_id(MedicationRecord.context, story.client_id)]
    assert isinstance(record, MedicationRecord)
    return record


def test_guest_dosing_in_force_ends_from_the_discharges_day() -> None:
    story = Story()
    story.prescribe()
    record = medication(story)
    today = story.medication.day_of(story.now)
    over, current, coming = uuid4(), uuid4(), uuid4()
    for guest_dosing_id, first, last in (
        (over, 1, 2), (current, 4, 8), (coming, 10, 12),
    ):  # fmt: skip
        dispensing.arrange_guest_dosing(
            record, story.stamp(NURSE), guest_dosing_id=guest_dosing_id, site="Riverside OTP",
            start=today + timedelta(days=first), end=today + timedelta(days=last),
        )  # fmt: skip
    story.later(days=6)
    story.stop(next(iter(record.orders)))

    discharge(story)

    ended = {e.guest_dosing_id: e for e in story.events() if isinstance(e, GuestDosingEnded)}
    assert {g: e.ended_on for g, e in ended.items()} == {
        current: today + timedelta(days=6), coming: today + timedelta(days=10),
    }  # fmt: skip
    assert {e.reason for e in ended.values()} == {"client discharged"}
    assert record.away_on(today + timedelta(days=7)) is None
    assert record.away_on(today + timedelta(days=11)) is None
    assert record.away_on(today + timedelta(days=5)) is not None


def test_a_session_after_the_discharge_is_not_made_a_no_show_nor_alerted_on() -> None:
    """A session cancelled by the discharge, once its time has passed, is not corrected to
    a no-show (nor recorded attended): the client was out of treatment, and with the no-show
    before the discharge it made a run of two and raised repeated-no-shows."""
    story = Story()
    story.session(Outcome.NO_SHOW)
    after = book(story, [story.client_id], story.now + timedelta(days=2))
    story.later(hours=1)
    discharge(story)
    story.later(days=3)

    with pytest.raises(RuleViolation) as refusal:
        story.run(
            therapy.correct_outcome(
                story.stamp(THERAPIST), client_id=story.client_id, session_id=after,
                outcome=Outcome.NO_SHOW, reason="they never called", rules=story.rules,
            )
        )  # fmt: skip

    assert (refusal.value.field, refusal.value.rule) == ("sessionId", "client-discharged")
    assert story.fired() == []


def test_a_readmitted_clients_no_shows_do_not_continue_the_last_episodes_run() -> None:
    """A no-show before the discharge and one after the readmission are no run of two
    (repeated-no-shows from version 3); two after the readmission are, and the replay agrees."""
    story = Story()
    story.session(Outcome.NO_SHOW)
    story.later(hours=1)
    discharge(story)
    story.later(days=2)
    story.run(care.readmit_client(story.stamp(DOCTOR), client_id=story.client_id))

    story.session(Outcome.NO_SHOW)
    assert story.fired() == []
    story.session(Outcome.NO_SHOW)

    [alert] = story.alerts()
    assert (alert.rule_id, alert.rule_version, alert.detail) == (
        "repeated-no-shows", "5", "2 consecutive no-shows",
    )  # fmt: skip
    assert replay(story.rules, story.events()) == story.alerts()


@pytest.mark.parametrize("outcome", [Outcome.ATTENDED, Outcome.NO_SHOW])
def test_a_discharge_is_not_dated_before_a_session_held(outcome: Outcome) -> None:
    """A session attended or missed that began after the discharge's time would be one held
    for a client out of treatment, which recording it then is refused as."""
    story = Story()
    story.session(outcome)
    began = story.now - timedelta(hours=1)  # two hours after its booking, three before now

    def discharging(at: datetime) -> Command[UUID]:
        return care.discharge_client(
            story.stamp(DOCTOR), client_id=story.client_id, discharged_at=at,
            reason=DischargeReason.ADMINISTRATIVE,
        )  # fmt: skip

    for at in (began - timedelta(minutes=30), began):
        with pytest.raises(InvalidInput) as refusal:
            story.run(discharging(at))
        assert (refusal.value.field, refusal.value.rule) == ("dischargedAt", "in-order")
    story.run(discharging(began + timedelta(minutes=1)))


def test_no_session_is_booked_for_a_time_the_client_was_out_of_treatment() -> None:
    """Booked once readmitted, a session set in the days between the discharge and the
    readmission could have no outcome (client-discharged), and stayed booked for ever."""
    story = Story()
    discharged_at = story.later(days=1)
    discharge(story)
    story.later(days=3)
    story.run(care.readmit_client(story.stamp(DOCTOR), client_id=story.client_id))

    with pytest.raises(RuleViolation) as refusal:
        book(story, [story.client_id], discharged_at + timedelta(days=1))

    assert (refusal.value.field, refusal.value.rule) == ("scheduledFor", "client-discharged")
    book(story, [story.client_id], story.now + timedelta(days=1))


def test_a_session_beginning_at_the_discharge_is_cancelled_by_it() -> None:
    """A cancellation by hand at a session's start is refused (its outcome is due), but the
    discharge at that moment cancels it: no outcome is told of a client out of treatment."""
    story = Story()
    starts = story.now + timedelta(hours=1)
    session_id = book(story, [story.client_id], starts)
    story.later(hours=1)

    discharge(story)

    assert cancelled(story)[session_id].occurred_at == starts
