"""A summary line that tells an event's free text (a reason for a hold, a membership's end,
an entry in error) reads without it for a reader not shown that text, and whole for one
shown it; no other line tells free text at all."""

from __future__ import annotations

import pytest
from every_event import every_event

from carecoord.events import CareEvent

TELLING = [
    e for e in every_event().events if type(e).summary_text and getattr(e, type(e).summary_text)
]


@pytest.mark.parametrize("event", TELLING, ids=lambda e: type(e).__name__)
def test_a_line_telling_free_text_reads_without_it_where_withheld(event: CareEvent) -> None:
    cls, line = type(event), event.summary()
    text = getattr(event, cls.summary_text)
    bare = cls.summary_withheld(line, event.facts())
    assert line == f"{bare} ({text})"
    assert cls.summary_text in cls.free_text


def words(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """A free-text field's words: its text, or each of its list (side effects named)."""
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("event", every_event().events, ids=lambda e: type(e).__name__)
def test_no_line_tells_free_text_it_could_not_leave_out(event: CareEvent) -> None:
    cls, line = type(event), event.summary()
    told = [f for f in cls.free_text if any(w and w in line for w in words(getattr(event, f)))]
    assert told in ([], [cls.summary_text])
    assert cls.summary_withheld(line, event.facts()) == line or told


def test_the_types_whose_lines_tell_a_reason_say_so() -> None:
    """Memberships ended, orders held or stopped, and corrections: each a line a reader of
    the timeline sees, each with its writer's reason."""
    assert {type(e).__name__ for e in TELLING} >= {
        "CareTeamMemberEnded", "OrderHeld", "OrderDiscontinued", "DoseEnteredInError",
        "TakeHomeEnteredInError", "CheckInEnteredInError", "SessionOutcomeCorrected",
    }  # fmt: skip
