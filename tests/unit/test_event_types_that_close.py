"""A subscriber built before an event type skips it ("Forward compatible"), so a new type
that ends what other types told (a session cancelled) is listed in docs/events.md for
readers to handle when they upgrade. Before, therapy.SessionCancelled was listed nowhere,
and a reader without it counted every cancelled session as booked."""

from __future__ import annotations

import re
from pathlib import Path

from carecoord.events import catalog

EVENTS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def listed() -> list[str]:
    """The types of the table under "A new type" in the events page."""
    page = EVENTS_PAGE.read_text(encoding="utf-8")
    table = page.split("- **A new type**", 1)[1].split("\n\n## ", 1)[0]
    return re.findall(r"^\s*\| `([a-z]+\.[A-Za-z]+)` \|", table, flags=re.MULTILINE)


def test_the_session_cancellation_is_listed_for_older_readers() -> None:
    assert "therapy.SessionCancelled" in listed()


def test_every_type_listed_is_in_the_catalog() -> None:
    for name in listed():
        catalog.event_class(name)
