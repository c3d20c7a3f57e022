"""Stored events of a later schema version, which the relay forwards as they are stored.

After a rollback, the store holds what the later release recorded and had not published
yet. Set aside, such an event stayed off the stream for good: the later release's relay,
once back, resumes past it, and a message sent out of position order would be skipped by
every subscriber that keeps its last position. The envelope (ids, client) says where it
goes and under which headers, without the event's own fields, so the relay sends it in its
place, as stored, and a subscriber's catalog decodes it, or refuses a version it does not
read yet (docs/events.md). An event of a type this catalog lacks stays set aside: whether
a later release publishes that type at all is not known here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from pydantic_core import from_json

from carecoord.events import catalog, headers
from carecoord.services.infrastructure.doorbell import Unreadable


@dataclass(frozen=True, slots=True)
class Forwarded:
    """A later version's stored event, with what its message needs from the envelope."""

    stored: Unreadable
    event_id: UUID
    client_id: UUID
    correlation_id: UUID

    @property
    def position(self) -> int:
        return self.stored.position

    @property
    def body(self) -> bytes:
        return self.stored.body

    def subject(self, root: str) -> str:
        return catalog.subject_for(root, self.stored.topic, self.client_id)

    def headers(self) -> dict[str, str]:
        return headers.for_entry(
            self.event_id, self.correlation_id, self.stored.topic, self.position
        )


def forwardable(entries: Sequence[Unreadable]) -> tuple[list[Forwarded], list[Unreadable]]:
    """Those of ``entries`` the relay forwards as stored, and the rest, to set aside."""
    sent: list[Forwarded] = []
    kept: list[Unreadable] = []
    for entry in entries:
        found = _forwarded(entry)
        if found is None:
            kept.append(entry)
        else:
            sent.append(found)
    return sent, kept


def _forwarded(entry: Unreadable) -> Forwarded | None:
    """``entry`` as a message, when it is a published type's event with a whole envelope."""
    if not entry.body or not catalog.event_class(entry.topic).published:
        return None
    try:
        data = from_json(entry.body)
        return Forwarded(
            entry,
            UUID(data["event_id"]),
            UUID(data["client_id"]),
            UUID(data["correlation_id"]),
        )
    except (ValueError, LookupError, TypeError, AttributeError):
        return None
