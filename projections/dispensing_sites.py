"""The sites a program admin registered and retired (``registerDispensingSite``,
``retireDispensingSite``), each change a row in the order recorded: the registry is read
whole (a program has a few sites), and folded into each site's registration and retirement.

A site's name is also found by its key (``name_key``: case folded, its whitespace one
space), which a registration is refused on where an active site holds it (``North Unit``
and ``north unit`` read as one site on every screen, and stock sent to one leaves the
other's books).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.positioned import Positioned
from carecoord.events.stock import DispensingSiteRegistered, DispensingSiteRetired, name_key
from carecoord.projections.appended import Numbered, Row, append, appended_ddl, columns, copied
from carecoord.projections.generations import generation_table
from carecoord.projections.rows import fetch

NAME = "dispensing_sites"
VERSION = 1
READS = (DispensingSiteRegistered, DispensingSiteRetired)
"""The events ``rows`` reads (a rebuild builds rows of no other for it)."""
REGISTERED, RETIRED = "registered", "retired"


class Change(Numbered):
    """A site registered or retired, when and by whom (an opaque user id)."""

    site: str
    name_key: str
    change: str
    stock_id: UUID
    occurred_at: datetime
    actor_id: str


COLUMNS = columns(Change)

table = generation_table(NAME)

ddl = appended_ddl(NAME, Change, {"name_key": "(name_key)"})


def rows(item: Positioned) -> Iterator[Row]:
    e = item.event
    if isinstance(e, DispensingSiteRegistered | DispensingSiteRetired):
        change = REGISTERED if isinstance(e, DispensingSiteRegistered) else RETIRED
        yield (e.site, name_key(e.site), change, e.client_id, e.occurred_at, e.actor.id)


COPIED = copied(COLUMNS, rows)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    await append(conn, table(generation), COLUMNS, batch, rows)


async def changes(pool: AsyncConnectionPool) -> list[Change]:
    """Every site registered or retired, in the order recorded."""
    query = sql.SQL("SELECT * FROM {} ORDER BY position, seq").format(sql.Identifier(NAME))
    return await fetch(pool, Change, query, [])


def sites(found: Iterable[Change]) -> dict[str, dict[str, Change]]:
    """Each site named in ``found``, by name, with its registration and retirement."""
    folded: dict[str, dict[str, Change]] = {}
    for change in found:
        folded.setdefault(change["site"], {})[change["change"]] = change
    return folded


def active_keys(found: Iterable[Change], listed: Iterable[str]) -> set[str]:
    """The name keys of the sites registered, or ``listed`` (the program file's), and not
    retired."""
    folded = sites(found)
    return {name_key(n) for n in {*folded, *listed} if RETIRED not in folded.get(n, {})}
