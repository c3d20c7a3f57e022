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
    CounselingNoteRecorded,
    Modality,
    SessionAttended,
    SessionFormat,
    SessionLateCancelled,
    SessionNoShow,
)
from carecoord.services.care import commands as care
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def group_of_three(story: Story) -> list[UUID]:
    others = [
        story.run(enroll_client(story.stamp(NURSE), display_name=n, program="OTP"))
        for n in ("Ash", "Bo")
    ]
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
    before = len(story.events())
    with pytest.raises(NotFound) as refused:
        story.run(
            therapy.record_attendance(
                story.stamp(THERAPIST), session_id=session_id, duration_minutes=60,
                attendance=[(m, Outcome.ATTENDED) for m in members], rules=story.rules,
            )
        )  # fmt: skip
    assert refused.value.rule == "unknown-session"
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
    story.later(hours=24)
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
