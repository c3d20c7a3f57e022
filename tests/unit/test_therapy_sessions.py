"""Sessions: scheduling (individual and group), outcomes once, notes and counseling notes."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from alert_story import DOCTOR, NURSE, THERAPIST, Story

from carecoord.events import Kind
from carecoord.events.care import GoalAchievement, LevelOfCare
from carecoord.events.therapy import (
    CounselingNoteRecorded,
    Modality,
    SessionAttended,
    SessionFormat,
    SessionNoShow,
)
from carecoord.services.care import commands as care
from carecoord.services.care.commands import enroll_client
from carecoord.services.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def group_of_three(story: Story) -> list:
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
    story.run(
        therapy.record_attendance(
            story.stamp(THERAPIST), session_id=session_id, duration_minutes=85,
            attendance=[(members[0], Outcome.ATTENDED), (members[1], Outcome.NO_SHOW),
                        (members[2], Outcome.ATTENDED)],
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
                attendance=[(m, Outcome.ATTENDED) for m in members],
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
                attendance=[(story.client_id, Outcome.ATTENDED)],
            )
        )  # fmt: skip
    assert twice.value.rule == "outcome-recorded"
    with pytest.raises(InvalidInput) as no_length:
        story.session(Outcome.ATTENDED, minutes=None)
    assert no_length.value.field == "durationMinutes"


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
    changes = [e for e in story.events() if type(e).__name__ == "LevelOfCareChanged"]
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
