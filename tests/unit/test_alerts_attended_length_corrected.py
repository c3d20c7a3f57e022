"""An attended session corrected to another length is still attended: it ends the run of
no-shows before it as it did. Read as a session taken out of the run, the no-shows on
either side of it were joined, and a repeated-no-shows alert was raised on the correction
of a session the client came to."""

from __future__ import annotations

from alert_story import THERAPIST, Story

from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome


def test_an_attended_sessions_length_corrected_joins_no_no_shows() -> None:
    story = Story()
    story.session(Outcome.NO_SHOW)
    attended = story.session(Outcome.ATTENDED)
    story.session(Outcome.NO_SHOW)
    assert story.fired() == []

    story.run(
        therapy.correct_outcome(
            story.stamp(THERAPIST), client_id=story.client_id, session_id=attended,
            outcome=Outcome.ATTENDED, duration_minutes=30, reason="left early",
            rules=story.rules,
        )
    )  # fmt: skip

    assert story.fired() == []
