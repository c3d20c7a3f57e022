"""Care-team membership as the write gate sees it, remembered between care-team changes.

Every mutation checks that its author is on each named client's care team; asking the read
model every time was 40% of a command's time in the API process. A confirmed membership is
kept while the care-team view has not changed since it was read (the projector announces
changes, see ``projections/progress.py``) and until the membership's own end, so an end
recorded in advance still applies on time. Only confirmations are kept: a refusal always
asks the read model again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from carecoord.events import Actor

MAX_KEPT = 100_000

_Key = tuple[str, str, UUID]


@dataclass
class Memberships:
    _kept: dict[_Key, tuple[int, datetime | None]] = field(default_factory=dict)

    def confirmed(self, actor: Actor, clients: frozenset[UUID], version: int) -> bool:
        """Whether every one of ``clients`` is a confirmed membership still in force."""
        now = datetime.now(UTC)
        for client in clients:
            kept = self._kept.get((actor.id, actor.role.value, client))
            if kept is None or kept[0] != version or (kept[1] is not None and kept[1] <= now):
                return False
        return True

    def keep(self, actor: Actor, ends: dict[UUID, datetime | None], version: int) -> None:
        """Remember memberships read at care-team ``version`` (read before the query)."""
        if len(self._kept) + len(ends) > MAX_KEPT:
            self._kept.clear()
        for client, ended_at in ends.items():
            self._kept[(actor.id, actor.role.value, client)] = (version, ended_at)
