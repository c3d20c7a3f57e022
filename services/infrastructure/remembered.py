"""Access answers remembered between changes of the access views.

Every mutation checks its author's care-team membership and every read decides a grant
from the access read models (care team, consents, emergency access, restrictions); asking
them each time was 40% of a command's time in the API process and a query per read and per
subscription wake. An answer is kept while the views it came from have not announced a
change since it was read (``projections/progress.py``: the ``version`` read before the
query) and until its own end: a membership's recorded end, a consent's expiry, an
emergency's window; a read grant within the program's day (a blind taper lifts when its
last day is over). Only confirmations are kept; a refusal always asks again.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar
from uuid import UUID

from carecoord.events import Actor
from carecoord.services.kernel.policy import Grant

MAX_KEPT = 100_000

V = TypeVar("V")
_Key = tuple[str, str, UUID]


@dataclass
class Remembered(Generic[V]):
    """Answers per (person, role, client), each with the view version and end it holds for."""

    _kept: dict[_Key, tuple[Hashable, datetime | None, V]] = field(default_factory=dict)

    def recall(self, actor: Actor, client_id: UUID, version: Hashable) -> V | None:
        kept = self._kept.get((actor.id, actor.role.value, client_id))
        if kept is None or kept[0] != version:
            return None
        if kept[1] is not None and kept[1] <= datetime.now(UTC):
            return None
        return kept[2]

    def remember(
        self, actor: Actor, client_id: UUID, version: Hashable, until: datetime | None, value: V
    ) -> None:
        if len(self._kept) >= MAX_KEPT:
            self._kept.clear()
        self._kept[(actor.id, actor.role.value, client_id)] = (version, until, value)


class Memberships(Remembered[bool]):
    """Care-team memberships the write gate confirmed."""

    def confirmed(self, actor: Actor, clients: frozenset[UUID], version: int) -> bool:
        """Whether every one of ``clients`` is a confirmed membership still in force."""
        return all(self.recall(actor, client, version) for client in clients)

    def keep(self, actor: Actor, ends: dict[UUID, datetime | None], version: int) -> None:
        """Remember memberships read at care-team ``version``, each until its end."""
        for client, ended_at in ends.items():
            self.remember(actor, client, version, ended_at, True)


class Grants(Remembered[Grant]):
    """Read grants decided from the access views."""

    def get(self, reader: Actor, client_id: UUID, versions: tuple[int, ...]) -> Grant | None:
        return self.recall(reader, client_id, versions)

    def keep(self, reader: Actor, client_id: UUID, versions: tuple[int, ...], grant: Grant) -> None:
        """Remember ``grant``, decided from views at ``versions``, until it ends."""
        self.remember(reader, client_id, versions, grant.valid_until, grant)
