"""The freshness bench splits each wait after a mutation's response at the projector's
announcement of the timeline model, so the closing figures say whether projecting or the
API's fan-out is the slower half: a push is matched to the first announcement at or past
its position, since one batch announces only its last."""

from __future__ import annotations

from carecoord.bench.freshness import Announcements


def test_a_position_is_matched_to_the_first_announcement_at_or_past_it() -> None:
    heard = Announcements()
    heard.positions, heard.times = [10, 14, 30], [1.0, 2.0, 3.0]

    assert [heard.at(p) for p in (1, 10, 11, 14, 15, 30)] == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert heard.at(31) is None
