"""The base of carecoord's aggregates: plain Python that decides and remembers.

One client's record in one context is one aggregate, so its invariants are guarded by
one optimistic-concurrency check. Commands validate first, then call ``record``; the
state changes only through ``apply``, which is also how history is replayed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from carecoord.events import CareEvent

_NAMESPACE = uuid5(NAMESPACE_URL, "https://carecoord.dev/aggregates")


@lru_cache(maxsize=4096)
def aggregate_id(context: str, client_id: UUID) -> UUID:
    """Remembered for the clients in use (about 1 MB): a dose alone derived it five times
    (the gate's access records, each record its command loads), each a SHA-1 of a
    formatted id."""
    return uuid5(_NAMESPACE, f"{context}/{client_id}")


@dataclass(frozen=True, slots=True)
class Recorded:
    """A catalog event at its place in one aggregate's sequence (what the store keeps)."""

    originator_id: UUID
    originator_version: int
    event: CareEvent


class Aggregate:
    context: ClassVar[str]
    """The record's part of the program (``consent``, ``medication``...): one client has
    one aggregate in each, and its id is derived from the two."""

    def __init_subclass__(cls, *, context: str | None = None, **kwargs: object) -> None:
        """A record is declared with its part: ``class TherapyRecord(Aggregate, context=...)``."""
        super().__init_subclass__(**kwargs)
        if context is not None:
            cls.context = context

    def __init__(self, client_id: UUID) -> None:
        self.client_id = client_id
        self.id = aggregate_id(self.context, client_id)
        self.version = 0
        self._pending: list[Recorded] = []

    @property
    def exists(self) -> bool:
        return self.version > 0

    def record(self, event: CareEvent) -> None:
        self.apply(event)
        self.version += 1
        self._pending.append(Recorded(self.id, self.version, event))

    def apply(self, event: CareEvent) -> None:
        """Change state for one event; subclasses dispatch on the event's type."""
        raise NotImplementedError

    @property
    def pending(self) -> tuple[Recorded, ...]:
        """Events recorded since the last save."""
        return tuple(self._pending)

    def collect_events(self) -> list[Recorded]:
        pending, self._pending = self._pending, []
        return pending

    @classmethod
    def replay(cls, current: Self | None, history: Iterable[Recorded]) -> Self | None:
        """Fold stored events into an aggregate (the repository's projector function)."""
        aggregate = current
        for recorded in history:
            if aggregate is None:
                aggregate = cls(recorded.event.client_id)
            aggregate.apply(recorded.event)
            aggregate.version = recorded.originator_version
        return aggregate
