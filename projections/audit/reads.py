"""The reads of exported clients' records, from the access log: a FHIR export carries them as
AuditEvents beside the record itself."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from carecoord.projections.audit.export import Period
from carecoord.services.infrastructure import access_log
from carecoord.services.infrastructure.access_log import LoggedRead
from carecoord.services.kernel.errors import Altered

PAGE = 1000


async def reads_of(
    pool: AsyncConnectionPool, client_ids: Iterable[UUID], period: Period, most: int | None = None
) -> list[LoggedRead]:
    """Every logged read of these clients' records made in the period, in log order; with
    ``most``, no more than ``most`` + 1 are fetched (one past the bound is enough to refuse
    an export, and a record read for years has more entries than it holds). The period
    bounds the query itself: a period of last year, of a record read every day since, reads
    none of the reads after it."""
    found: list[LoggedRead] = []
    for client_id in client_ids:
        after = 0
        while most is None or len(found) <= most:
            limit = PAGE if most is None else min(PAGE, most + 1 - len(found))
            try:
                page = await access_log.entries(
                    pool, client_id=client_id, actor_id=None, after=after, limit=limit,
                    since=period.start, before=period.end,
                )  # fmt: skip
            except Altered as altered:
                raise _unreadable(client_id, altered) from None
            found += page
            if len(page) < limit:
                break
            after = page[-1].seq
    return sorted(found, key=lambda read: read.seq)


def _unreadable(client_id: UUID, altered: Altered) -> Altered:
    """An entry of the client's reads altered into no entry, named by its seq as the export
    says it: the access log's own refusal tells a pass of the log to read on past it, which
    an export cannot; a JSON Lines export carries no reads and is still made."""
    seq = altered.details.get("seq")
    return Altered(
        "format",
        "entry-unreadable",
        f"access-log entry {seq}, a read of client {client_id}'s record, does not read as an"
        " entry: it was altered (verifyAccessLog names the break); a FHIR export carries the"
        " record's logged reads, a JSON Lines export none",
        altered.details,
    )
