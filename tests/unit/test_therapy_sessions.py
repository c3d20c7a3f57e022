"""Sessions: scheduling (individual and group), outcomes once, notes and counseling notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from alert_story import DOCTOR, NURSE, THERAPIST, Story

from carecoord.events import Kind
from carecoord.events.care import GoalAchievement, LevelOfCare, LevelOfCareChanged
from carecoord.events.therapy import (
    CancellationReason,
    CounselingNoteRecorded,
    Modality,
    SessionAttended,
    SessionFormat,
    SessionLateCancelled,
    SessionNoShow,
    SessionOutcome,
    SessionOutcomeCorrected,
)
from carecoord.services.care import commands as care
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome, TherapyRecord


def group_of_three(story: Story) -> list[UUID]:
    """Sam and two more clients, the therapist on each one's care team."""
    others = [
        story.run(enroll_client(story.stamp(NURSE), display_name=n, program="OTP"))
        for n in ("Ash", "Bo")
    ]
    for client_id in others:
        story.join(client_id, THERAPIST)
    return [story.client_id, *others]


def test_a_group_session_records_attendance_for_each_member() -> None:
    story = Story()
    members = group_of_three(story)
    session_id = story.run(
        therapy.schedule_session(
            story.stamp(THERAPIST), client_ids=members, modality=Modality.GROUP,
            format=SessionFormat.GROUP, scheduled_for=story.now + timedelta(days=1),
            planned_minutes=90,
        )
    )  # fmt: skip
    story.later(days=1, hours=2)
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=session_id, duration_minutes=85,
            attendance=[(members[0], Outcome.ATTENDED), (members[1], Outcome.NO_SHOW),
                        (members[2], Outcome.ATTENDED)], rules=story.rules,
        )
    )  # fmt: skip
    outcomes = {
        e.client_id: type(e)
        for e in story.events()
        if isinstance(e, SessionAttended | SessionNoShow)
    }
    assert outcomes == {
        members[0]: SessionAttended,
        members[1]: SessionNoShow,
        members[2]: SessionAttended,
    }
    attended = [e for e in story.events() if isinstance(e, SessionAttended)]
    assert {e.duration_minutes for e in attended} == {85}
    assert all(e.session_id == session_id for e in attended)


def test_a_group_is_all_or_nothing() -> None:
    story = Story()
    members = group_of_three(story)
    session_id = story.run(
        therapy.schedule_session(
            story.stamp(THERAPIST), client_ids=members[:2], modality=Modality.GROUP,
            format=SessionFormat.GROUP, scheduled_for=story.now, planned_minutes=60,
        )
    )  # fmt: skip
    story.later(hours=1)
    before = len(story.events())
    with pytest.raises(NotFound) as refused:
        story.run(
            therapy.record_attendance(
                story.stamp(THERAPIST), session_id=session_id, duration_minutes=60,
                attendance=[(m, Outcome.ATTENDED) for m in members], rules=story.rules,
            )
        )  # fmt: skip
    assert (refused.value.field, refused.value.rule) == ("attendance.2.clientId", "not-booked")
    assert len(story.events()) == before


def test_an_outcome_is_recorded_once_and_attended_needs_a_length() -> None:
    story = Story()
    session_id = story.session(Outcome.NO_SHOW)
    with pytest.raises(RuleViolation) as twice:
        story.run(
            therapy.record_attendance(
                story.stamp(THERAPIST), session_id=session_id, duration_minutes=50,
                attendance=[(story.client_id, Outcome.ATTENDED)], rules=story.rules,
            )
        )  # fmt: skip
    assert twice.value.rule == "outcome-recorded"
    with pytest.raises(InvalidInput) as no_length:
        story.session(Outcome.ATTENDED, minutes=None)
    assert no_length.value.field == "durationMinutes"


def book(story: Story, hours_ahead: float) -> UUID:
    return story.run(
        therapy.schedule_session(
            story.stamp(THERAPIST), client_ids=[story.client_id], modality=Modality.DBT,
            format=SessionFormat.INDIVIDUAL, scheduled_for=story.now + timedelta(hours=hours_ahead),
            planned_minutes=50,
        )
    )  # fmt: skip


def outcome(story: Story, session_id: UUID, result: Outcome, **given: Any) -> None:
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=session_id, attendance=[(story.client_id, result)],
            duration_minutes=50 if result is Outcome.ATTENDED else None, rules=story.rules,
            **given,
        )
    )  # fmt: skip


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (Outcome.ATTENDED, Outcome.ATTENDED),
        (Outcome.ATTENDED, Outcome.LATE_CANCELLED),
        (Outcome.NO_SHOW, Outcome.ATTENDED),
        (Outcome.LATE_CANCELLED, Outcome.NO_SHOW),
    ],
)
def test_a_session_has_one_outcome(first: Outcome, then: Outcome) -> None:
    story = Story()
    session_id = book(story, 1)
    story.later(hours=2)
    outcome(story, session_id, first)
    before = len(story.events())
    with pytest.raises(RuleViolation) as refused:
        outcome(story, session_id, then)
    assert (refused.value.field, refused.value.rule) == ("sessionId", "outcome-recorded")
    assert f"already recorded as {first.value}" in refused.value.message
    assert len(story.events()) == before


@pytest.mark.parametrize("result", [Outcome.ATTENDED, Outcome.NO_SHOW])
def test_attended_and_no_show_wait_for_the_session_to_begin(result: Outcome) -> None:
    story = Story()
    session_id = book(story, 24)
    with pytest.raises(RuleViolation) as early:
        outcome(story, session_id, result)
    assert (early.value.field, early.value.rule) == ("outcome", "session-not-started")
    assert "late_cancelled" in early.value.message
    story.later(hours=25)
    outcome(story, session_id, result)
    assert type(story.events()[-1]) is {Outcome.ATTENDED: SessionAttended,
                                        Outcome.NO_SHOW: SessionNoShow}[result]  # fmt: skip


def test_a_late_cancellation_comes_before_the_session() -> None:
    story = Story()
    session_id = book(story, 6)
    with pytest.raises(RuleViolation) as after:
        outcome(story, session_id, Outcome.LATE_CANCELLED,
                occurred_at=story.now + timedelta(hours=7))  # fmt: skip
    assert (after.value.field, after.value.rule) == ("occurredAt", "cancelled-after-start")
    outcome(story, session_id, Outcome.LATE_CANCELLED, reason="sick child")
    [cancelled] = [e for e in story.events() if isinstance(e, SessionLateCancelled)]
    assert (cancelled.reason, cancelled.session_id) == ("sick child", session_id)


def test_an_outcome_dated_before_the_start_names_cancel_session_for_a_cancellation() -> None:
    """Told a cancellation before the start is late_cancelled, a clinician recorded a call
    ahead as a late cancellation, where cancelSession cancels it."""
    story = Story()
    session_id = book(story, 6)
    story.later(hours=7)
    with pytest.raises(RuleViolation) as early:
        outcome(story, session_id, Outcome.NO_SHOW, occurred_at=story.now - timedelta(hours=2))
    assert (early.value.field, early.value.rule) == ("occurredAt", "outcome-before-start")
    assert "a session called off before it is cancelled with cancelSession" in early.value.message


def test_the_start_itself_takes_one_outcome_and_no_cancellation() -> None:
    """At its start a session has begun: cancelSession is refused, and recordAttendance
    takes late_cancelled or no_show dated then, one of them, so the session never reads two."""
    story = Story()
    session_id = book(story, 6)
    starts = story.later(hours=6)
    with pytest.raises(RuleViolation) as cancelled:
        story.run(
            therapy.cancel_session(
                story.stamp(NURSE), client_id=story.client_id, session_id=session_id,
                reason=CancellationReason.CLIENT_REQUEST,
            )
        )  # fmt: skip
    outcome(story, session_id, Outcome.LATE_CANCELLED, occurred_at=starts)
    with pytest.raises(RuleViolation) as no_show:
        outcome(story, session_id, Outcome.NO_SHOW, occurred_at=starts)

    assert cancelled.value.rule == "cancelled-before-start"
    assert no_show.value.rule == "outcome-recorded"
    [late] = [e for e in story.events() if isinstance(e, SessionLateCancelled)]
    assert late.occurred_at == starts


def correct(
    story: Story, session_id: UUID, result: Outcome, reason: str = "sheet misread", **given: Any
) -> None:
    story.run(
        therapy.correct_outcome(
            story.stamp(THERAPIST), client_id=story.client_id, session_id=session_id,
            outcome=result, reason=reason, rules=story.rules, **given,
        )
    )  # fmt: skip


def test_a_mistaken_outcome_is_corrected_by_a_new_event_naming_the_one_it_corrects() -> None:
    story = Story()
    session_id = story.session(Outcome.NO_SHOW)
    [no_show] = [e for e in story.events() if isinstance(e, SessionNoShow)]

    correct(story, session_id, Outcome.ATTENDED, "came late; signed in at the desk",
            duration_minutes=35)  # fmt: skip

    [fixed] = [e for e in story.events() if isinstance(e, SessionOutcomeCorrected)]
    assert (fixed.corrects_event_id, fixed.previous_outcome, fixed.outcome) == (
        no_show.event_id, SessionOutcome.NO_SHOW, SessionOutcome.ATTENDED
    )  # fmt: skip
    assert fixed.duration_minutes == 35
    assert fixed.summary() == (
        "Session outcome corrected: no_show → attended (came late; signed in at the desk)"
    )
    assert no_show in story.events(), "the recorded outcome stays on the record"
    record = story.touched[aggregate_id(TherapyRecord.context, story.client_id)]
    assert isinstance(record, TherapyRecord)
    assert record.sessions[session_id].outcome is Outcome.ATTENDED

    correct(story, session_id, Outcome.LATE_CANCELLED, "it was the other Sam")
    *_, again = [e for e in story.events() if isinstance(e, SessionOutcomeCorrected)]
    assert (again.corrects_event_id, again.previous_outcome) == (
        fixed.event_id, SessionOutcome.ATTENDED
    )  # fmt: skip


@pytest.mark.parametrize(
    ("result", "given", "field", "rule"),
    [
        (Outcome.NO_SHOW, {}, "outcome", "outcome-unchanged"),
        (Outcome.SCHEDULED, {}, "outcome", "outcome-required"),
        (Outcome.ATTENDED, {}, "durationMinutes", "duration-required"),
        (Outcome.LATE_CANCELLED, {"duration_minutes": 20}, "durationMinutes",
         "duration-unexpected"),
        (Outcome.ATTENDED, {"duration_minutes": 30, "reason": "  "}, "reason",
         "correction-reason"),
    ],
)  # fmt: skip
def test_a_correction_is_refused_when_it_changes_nothing_or_lacks_what_the_outcome_needs(
    result: Outcome, given: dict[str, Any], field: str, rule: str
) -> None:
    story = Story()
    session_id = story.session(Outcome.NO_SHOW)
    before = len(story.events())
    with pytest.raises(InvalidInput) as refused:
        correct(story, session_id, result, **given)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert len(story.events()) == before


def test_only_an_outcome_on_record_is_corrected_and_not_before_the_session() -> None:
    story = Story()
    session_id = book(story, 24)
    with pytest.raises(RuleViolation) as nothing:
        correct(story, session_id, Outcome.NO_SHOW)
    assert (nothing.value.field, nothing.value.rule) == ("sessionId", "outcome-to-correct")
    outcome(story, session_id, Outcome.LATE_CANCELLED, reason="flu")
    with pytest.raises(RuleViolation) as early:
        correct(story, session_id, Outcome.ATTENDED, duration_minutes=50)
    assert early.value.rule == "session-not-started"


def test_corrections_change_the_run_of_no_shows_the_alert_counts() -> None:
    story = Story()
    first = story.session(Outcome.NO_SHOW)
    middle = story.session(Outcome.ATTENDED)
    story.session(Outcome.NO_SHOW)
    assert story.fired() == []

    correct(story, first, Outcome.ATTENDED, duration_minutes=50)  # an older session
    assert story.fired() == [], "the run since the last attended session is as it was"

    correct(story, middle, Outcome.NO_SHOW, "signed in under another client")
    [alert] = story.alerts()
    assert (alert.rule_id, alert.detail) == ("repeated-no-shows", "2 consecutive no-shows")
    assert alert.causation_id == story.events()[-2].event_id  # the correction

    correct(story, middle, Outcome.ATTENDED, "no: it was this client", duration_minutes=50)
    story.session(Outcome.NO_SHOW)
    assert len(story.alerts()) == 1, "the run restarted at the corrected attendance"


def test_attended_corrected_to_late_cancelled_joins_the_no_shows_around_it() -> None:
    """A late cancellation leaves a run as it was, so the no-shows on either side of the
    session are one run once it was not attended after all; no alert told of it."""
    story = Story()
    first = story.session(Outcome.NO_SHOW)
    middle = story.session(Outcome.ATTENDED)
    last = story.session(Outcome.NO_SHOW)
    assert story.fired() == []
    correct(story, middle, Outcome.LATE_CANCELLED, "called in the morning; typed as attended")
    [alert] = story.alerts()
    assert (alert.rule_id, alert.detail) == ("repeated-no-shows", "2 consecutive no-shows")
    no_shows = {e.session_id: e.event_id for e in story.events() if isinstance(e, SessionNoShow)}
    assert alert.evidence == (no_shows[first], no_shows[last])


def test_an_individual_session_has_one_client() -> None:
    story = Story()
    members = group_of_three(story)
    with pytest.raises(InvalidInput) as refused:
        therapy.schedule_session(
            story.stamp(THERAPIST), client_ids=members, modality=Modality.CBT,
            format=SessionFormat.INDIVIDUAL, scheduled_for=story.now, planned_minutes=50,
        )  # fmt: skip
    assert refused.value.rule == "individual-session"


def test_a_counseling_note_is_restricted_and_its_summary_hides_the_text() -> None:
    story = Story()
    session_id = story.session(Outcome.ATTENDED)
    story.run(
        therapy.record_session_note(
            story.stamp(THERAPIST), client_id=story.client_id, session_id=session_id,
            note="Discussed triggers at work.", counseling=True,
        )
    )  # fmt: skip
    [note] = [e for e in story.events() if isinstance(e, CounselingNoteRecorded)]
    assert note.kind is Kind.COUNSELING_NOTE
    assert "triggers" not in note.summary()
    with pytest.raises(NotFound):
        story.run(
            therapy.record_session_note(
                story.stamp(THERAPIST), client_id=story.client_id, session_id=uuid4(), note="x"
            )
        )


def test_level_of_care_over_time_and_goals_with_progress() -> None:
    story = Story()
    stamp = story.stamp(DOCTOR)
    cid = story.client_id
    story.run(care.change_level_of_care(stamp, client_id=cid, level=LevelOfCare.RESIDENTIAL,
                                        asam_level="3.7"))  # fmt: skip
    story.later(days=28)
    story.run(
        care.change_level_of_care(stamp, client_id=cid, level=LevelOfCare.INTENSIVE_OUTPATIENT)
    )
    with pytest.raises(RuleViolation):
        story.run(care.change_level_of_care(stamp, client_id=cid,
                                            level=LevelOfCare.INTENSIVE_OUTPATIENT))  # fmt: skip
    changes = [e for e in story.events() if isinstance(e, LevelOfCareChanged)]
    assert [(e.previous_level, e.level) for e in changes] == [
        (None, LevelOfCare.RESIDENTIAL),
        (LevelOfCare.RESIDENTIAL, LevelOfCare.INTENSIVE_OUTPATIENT),
    ]
    goal = story.run(care.set_treatment_goal(stamp, client_id=cid, description="Return to work"))
    story.run(care.record_goal_progress(stamp, client_id=cid, goal_id=goal,
                                        achievement=GoalAchievement.IMPROVING))  # fmt: skip
    story.run(care.record_goal_progress(stamp, client_id=cid, goal_id=goal,
                                        achievement=GoalAchievement.ACHIEVED))  # fmt: skip
    with pytest.raises(RuleViolation) as closed:
        story.run(care.record_goal_progress(stamp, client_id=cid, goal_id=goal,
                                            achievement=GoalAchievement.WORSENING))  # fmt: skip
    assert closed.value.rule == "goal-closed"


def test_a_goal_is_described_and_its_target_is_not_in_the_past() -> None:
    story = Story()
    stamp, cid = story.stamp(THERAPIST), story.client_id
    before = len(story.events())
    with pytest.raises(InvalidInput) as blank:
        story.run(care.set_treatment_goal(stamp, client_id=cid, description="  "))
    assert (blank.value.field, blank.value.rule) == ("description", "goal-description")
    yesterday = story.now.date() - timedelta(days=1)
    with pytest.raises(InvalidInput) as past:
        story.run(care.set_treatment_goal(stamp, client_id=cid, description="Walk daily",
                                          target_date=yesterday))  # fmt: skip
    assert (past.value.field, past.value.rule) == ("targetDate", "target-before-set")
    assert len(story.events()) == before
    story.run(care.set_treatment_goal(stamp, client_id=cid, description="Walk daily",
                                      target_date=story.now.date()))  # fmt: skip
    with pytest.raises(NotFound) as unknown:
        story.run(care.record_goal_progress(stamp, client_id=cid, goal_id=uuid4(),
                                            achievement=GoalAchievement.IMPROVING))  # fmt: skip
    assert unknown.value.rule == "unknown-goal"
