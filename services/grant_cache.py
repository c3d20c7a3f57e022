"""Read grants remembered between changes of the access views.

Every read decides what the reader may see from four access read models (care team,
consents, emergency access, restrictions); asking them on every read, and on every wake of
a live subscription, repeats a query whose answer changes rarely. A grant is kept while
none of those views has announced a change since it was decided (see
``projections/progress.py``) and until the grant's own end (a consent's expiry, an
emergency's window, a care-team membership's recorded end). Refusals are never kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from carecoord.events import Actor
from carecoord.services.policy import Grant

MAX_KEPT = 100_000

_Key = tuple[str, str, UUID]


@dataclass
class Grants:
    _kept: dict[_Key, tuple[tuple[int, ...], Grant]] = field(default_factory=dict)

    def get(self, reader: Actor, client_id: UUID, versions: tuple[int, ...]) -> Grant | None:
        kept = self._kept.get((reader.id, reader.role.value, client_id))
        if kept is None or kept[0] != versions:
            return None
        grant = kept[1]
        if grant.valid_until is not None and grant.valid_until <= datetime.now(UTC):
            return None
        return grant

    def keep(self, reader: Actor, client_id: UUID, versions: tuple[int, ...], grant: Grant) -> None:
        """Remember ``grant``, decided from views at ``versions`` (read before deciding)."""
        if len(self._kept) >= MAX_KEPT:
            self._kept.clear()
        self._kept[(reader.id, reader.role.value, client_id)] = (versions, grant)
