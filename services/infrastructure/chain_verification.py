"""Verifying the event store's hash chain: every link recomputed, the first break named.

``verify`` walks the whole store in ``notification_id`` order (the CLI's
``carecoord audit verify``); ``verify_client`` checks the rows of one client's aggregates
and the links into and out of each (the auditor's ``verifyClientRecord``). Both recompute
hashes here, in Python, from the rows as stored: the database's own function is not trusted
to check itself. A break is judged from what is left around it:

- ``altered``: the row still follows its predecessor but no longer hashes to what was
  written (or its hash or link was removed, and its successor still follows it, or its link
  was rewritten to its own hash, to one no row has or to an earlier row's, which it no
  longer hashes with, its successor still following it);
- ``deleted``: the row was chained to a hash no stored row has, and positions are missing
  before it (with no gap: the row before it was altered and its hash recomputed);
- ``inserted``: the row was chained to a row further back than its predecessor, so what
  lies between was put there later (or a row without a hash that its successor skips, or one
  so chained that does not hash as written, whose link vouches for nothing: it was put there,
  not what lies between; or a row below position 1, where the store numbers nothing);
- ``reordered``: the row was chained to a row that now comes after it.

A consistent rewrite of the whole chain from some row on (triggers disabled, every hash
recomputed) leaves no break inside the database; the anchors published outside it catch
it (``services/infrastructure/chain_anchors.py``): ``rewritten`` when an anchored position no
longer has
the anchored hash, ``truncated`` when the store ends before an anchor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum, auto
from typing import Any, Protocol
from uuid import UUID

import psycopg
from psycopg import AsyncConnection, sql

from carecoord.services.alerts.record import AlertRecord
from carecoord.services.care.record import ClientRecord
from carecoord.services.careteam.team import CareTeam
from carecoord.services.checkins.record import CheckInRecord
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.infrastructure.event_chain import CHAIN, GENESIS, TABLE, link
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.therapy.record import TherapyRecord

FIRST = 1
"""The store's first position: it numbers its rows from 1 (a bigserial), so a row below was
put there, yet a client's record reads it (by aggregate, whatever its position)."""
FLOOR = -(2**63)
"""The least position a row can have (a bigint): the walk starts there, not after 0."""

PAGE = 1_000
"""Rows per query. Measured on 200,000 events of ~400 bytes over TCP on this machine: 500 to
2,000 rows a page walked in 0.4-0.5 s, 3,000 to 10,000 in 3-6 s (each result over about a
megabyte stalled ~140 ms in transfer)."""


class Anchor(Protocol):
    """What the walk reads of an anchor (``chain_anchors.Anchor``, whose anchoring asks this
    module of a store without its chain's columns): where, which hash, when."""

    @property
    def position(self) -> int: ...
    @property
    def hash(self) -> bytes: ...
    @property
    def at(self) -> str: ...


class Verdict(StrEnum):
    ALTERED = auto()
    DELETED = auto()
    INSERTED = auto()
    REORDERED = auto()
    REWRITTEN = auto()
    TRUNCATED = auto()


@dataclass(frozen=True, slots=True)
class Row:
    position: int
    originator_id: UUID
    version: int
    topic: str | None
    state: bytes | None
    prev_hash: bytes | None
    hash: bytes | None

    def recomputed(self) -> bytes | None:
        if self.prev_hash is None:
            return None
        return link(
            self.prev_hash,
            self.position,
            self.originator_id,
            self.version,
            self.topic,
            self.state,
        )


@dataclass(frozen=True, slots=True)
class Break:
    """The first link that does not hold: where, what was expected and found, and why."""

    position: int
    verdict: Verdict
    message: str
    expected: str | None = None
    """Hex: the hash this link should have (the predecessor's hash, or the row's own)."""
    found: str | None = None
    aggregate_id: UUID | None = None
    version: int | None = None
    topic: str | None = None
    related: int | None = None
    """The other position involved (where the row was chained to, the last good row)."""

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        found["aggregate_id"] = None if self.aggregate_id is None else str(self.aggregate_id)
        return found


@dataclass(slots=True)
class Report:
    """What a walk found: how far it got, the head to keep, the first break."""

    checked: int = 0
    head_position: int = 0
    head_hash: bytes = GENESIS
    anchors_checked: int = 0
    seconds: float = 0.0
    broken: Break | None = None
    chain: str = field(default=CHAIN)

    @property
    def intact(self) -> bool:
        return self.broken is None

    @property
    def rate(self) -> float:
        return self.checked / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "chain": self.chain,
            "checked": self.checked,
            "headPosition": self.head_position,
            "headHash": self.head_hash.hex(),
            "anchorsChecked": self.anchors_checked,
            "seconds": round(self.seconds, 3),
            "eventsPerSecond": round(self.rate),
            "broken": None if self.broken is None else self.broken.as_json(),
        }


def links(row: Row, before: Row | None) -> bool:
    """Whether ``row`` follows ``before`` (None: it is the first) and hashes as written."""
    expected = GENESIS if before is None else before.hash
    return (
        row.position >= FIRST
        and row.hash is not None
        and row.prev_hash == expected
        and row.recomputed() == row.hash
    )


def judge(row: Row, before: Row | None, after: Row | None, source: int | None) -> Break:
    """Why the link into ``row`` fails. ``after`` is the next row; ``source`` the position
    of the row whose hash ``row.prev_hash`` names, if one is stored."""
    expected = GENESIS if before is None else before.hash
    where = f"event {row.position} (aggregate {row.originator_id} version {row.version})"
    base = _at(row) | {"expected": _hex(expected), "found": _hex(row.prev_hash)}
    skipped = expected is not None and after is not None and after.prev_hash == expected
    if row.position < FIRST:
        text = f"{where} is at a position the store never numbers (it numbers from 1): inserted"
        return Break(verdict=Verdict.INSERTED, message=text, **base)
    if row.hash is None or row.prev_hash is None:
        if after is None or skipped:
            text = f"{where} carries no hash: it was inserted with the chain's trigger off"
            return Break(verdict=Verdict.INSERTED, message=text, **base)
        lost = "hash" if row.hash is None else "link to the event before it (prev_hash)"
        return Break(verdict=Verdict.ALTERED, message=f"{where} had its {lost} removed", **base)
    if row.prev_hash != expected:
        return _misplaced(row, before, after, source, where, base)
    base.update(expected=_hex(row.hash), found=_hex(row.recomputed()))
    if skipped and after is not None and after.prev_hash != row.hash:
        text = f"{where} does not hash as written and the next event skips it: it was inserted"
        return Break(verdict=Verdict.INSERTED, message=text, **base)
    text = f"{where} no longer hashes to what was written: its content was changed"
    return Break(verdict=Verdict.ALTERED, message=text, **base)


def _misplaced(
    row: Row,
    before: Row | None,
    after: Row | None,
    source: int | None,
    where: str,
    base: dict[str, Any],
) -> Break:
    last = 0 if before is None else before.position
    if source is not None and source > row.position:
        text = f"{where} was chained after event {source}, which now comes after it: reordered"
        return Break(verdict=Verdict.REORDERED, message=text, related=source, **base)
    relinked = row.recomputed() != row.hash and row.position == last + 1
    if source == row.position or (source is None and relinked):
        # Its prev_hash is part of what it hashes: a link rewritten in the row itself leaves
        # it hashing otherwise, where a row before it altered and re-hashed does not.
        text = (
            f"{where} no longer hashes as written and is chained to "
            f"{'its own hash' if source == row.position else 'a hash no stored event has'}"
            ": its link to the event before it was changed"
        )
        return Break(verdict=Verdict.ALTERED, message=text, related=last or None, **base)
    if source is not None and row.recomputed() != row.hash:
        # A row that does not hash as written vouches for no link: it is the break, not the
        # events between the one it names and it, which each follow the one before.
        return _unvouched(row, before, after, source, where, base)
    if source is not None:
        text = (
            f"{where} was chained after event {source}: the events after {source} and before "
            f"{row.position} were inserted"
        )
        return Break(verdict=Verdict.INSERTED, message=text, related=source, **base)
    if before is not None and row.position == last + 1:
        text = (
            f"{where} was chained to a hash no stored event has, and no position is missing "
            f"before it: event {last} was altered and its hash recomputed"
        )
        return Break(verdict=Verdict.ALTERED, message=text, related=last, **base)
    text = (
        f"{where} was chained to an event that is no longer stored: what was between "
        f"{last} and {row.position} was deleted"
    )
    return Break(verdict=Verdict.DELETED, message=text, related=last or None, **base)


def _unvouched(
    row: Row,
    before: Row | None,
    after: Row | None,
    source: int,
    where: str,
    base: dict[str, Any],
) -> Break:
    """A row chained to an earlier row than its predecessor that does not hash as written:
    put there (the next event, if any, skips it) or its link rewritten (the next follows it)."""
    if after is not None and before is not None and after.prev_hash == row.hash:
        text = (
            f"{where} does not hash as written and is chained after event {source}, not "
            f"event {before.position}, yet the next event follows it: its link to the event "
            "before it was changed"
        )
        return Break(verdict=Verdict.ALTERED, message=text, related=before.position, **base)
    text = (
        f"{where} does not hash as written and is chained after event {source}, which "
        "another event already follows: it was inserted"
    )
    return Break(verdict=Verdict.INSERTED, message=text, related=source, **base)


def _at(row: Row) -> dict[str, Any]:
    """Where a break is, as the stored row says."""
    return {
        "position": row.position,
        "aggregate_id": row.originator_id,
        "version": row.version,
        "topic": row.topic,
    }


def _at_anchor(anchor: Anchor, verdict: Verdict, message: str, **more: Any) -> Break:
    """A break at an anchored position: the hash anchored there is what was expected."""
    return Break(
        position=anchor.position,
        verdict=verdict,
        message=message,
        expected=anchor.hash.hex(),
        **more,
    )


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


# --- the whole store ----------------------------------------------------------------------

_COLUMNS = "notification_id, originator_id, originator_version, topic, state, prev_hash, hash"
_UNCHAINED = _COLUMNS.replace("prev_hash, hash", "NULL::bytea AS prev_hash, NULL::bytea AS hash")
"""A store whose chain's columns were dropped: every row read as one without its hash."""
_CHAINED = (
    "SELECT count(*) = 2 FROM pg_attribute WHERE attrelid = %s::regclass"
    " AND attname IN ('prev_hash', 'hash') AND NOT attisdropped"
)


def _query(template: str, table: str, columns: str = _COLUMNS) -> sql.Composed:
    return sql.SQL(template).format(columns=sql.SQL(columns), table=sql.Identifier(table))


def _walked(conn: psycopg.Connection, table: str) -> str:
    """The columns the walk reads: a store that lost the chain's columns is walked with no
    hash on any row (broken at its first row, as one whose hashes were set to NULL), not
    reported as no store at all. A missing table raises UndefinedTable."""
    return _chosen(conn.execute(_CHAINED, (sql.Identifier(table).as_string(conn),)).fetchone())


async def _walked_async(conn: AsyncConnection, table: str) -> str:
    """``_walked`` for one client's record."""
    found = await conn.execute(_CHAINED, (sql.Identifier(table).as_string(conn),))
    return _chosen(await found.fetchone())


def _chosen(found: tuple[Any, ...] | None) -> str:
    return _COLUMNS if found is not None and found[0] else _UNCHAINED


_PAGE = (
    "SELECT {columns} FROM {table} WHERE notification_id >= %s AND notification_id <= %s "
    "ORDER BY notification_id LIMIT %s"
)
_AFTER = "SELECT {columns} FROM {table} WHERE notification_id > %s ORDER BY notification_id LIMIT 1"
_SOURCE = "SELECT notification_id FROM {table} WHERE hash = %s ORDER BY notification_id LIMIT 1"
_HEAD = "SELECT max(notification_id) FROM {table}"
_FIRST_TWO = "SELECT {columns} FROM {table} ORDER BY notification_id LIMIT 2"


def _row(values: Sequence[Any]) -> Row:
    position, originator_id, version, topic, state, prev_hash, hashed = values
    return Row(
        position,
        originator_id,
        version,
        topic,
        _bytes(state),
        _bytes(prev_hash),
        _bytes(hashed),
    )


def _bytes(value: bytes | memoryview | None) -> bytes | None:
    return None if value is None else bytes(value)


Progress = Callable[[int, int, float], None]
"""Called after each page with (position reached, head position, seconds so far)."""


def verify(
    conn: psycopg.Connection,
    *,
    anchors: Sequence[Anchor] = (),
    table: str = TABLE,
    page: int = PAGE,
    progress: Progress | None = None,
) -> Report:
    """Walk the store up to its head at the start; stop at the first break (of the chain,
    or against an anchor)."""
    started = time.perf_counter()
    report = Report()
    columns = _walked(conn, table)
    head = _scalar(conn, _query(_HEAD, table)) or 0
    pending = sorted(anchors, key=lambda a: a.position)
    before: Row | None = None
    held = 0
    start = FLOOR
    cursor = conn.cursor(binary=True)
    while report.broken is None:
        rows = cursor.execute(_query(_PAGE, table, columns), (start, head, page)).fetchall()
        for values in rows:
            row = _row(values)
            if not links(row, before):
                report.broken = _judge_sync(conn, table, row, before, columns)
                break
            while pending and pending[0].position <= row.position and report.broken is None:
                anchor = pending.pop(0)
                report.broken = _against(anchor, row, held)
                if report.broken is None:
                    report.anchors_checked += 1
                    held = anchor.position
            if report.broken is not None:
                break
            report.checked += 1
            report.head_position, report.head_hash = row.position, row.hash or GENESIS
            before = row
        start = report.head_position + 1
        if progress is not None:
            progress(report.head_position, head, time.perf_counter() - started)
        if len(rows) < page:
            break
    if report.broken is None and pending:
        report.broken = _beyond(pending[-1], _scalar(conn, _query(_HEAD, table)) or 0)
    report.seconds = time.perf_counter() - started
    return report


async def unchained(conn: AsyncConnection, table: str = TABLE) -> Break | None:
    """The break ``verify`` reports of a store whose chain's columns were dropped, at its
    first event; None while it has them (or holds no event). The relay's anchoring asks:
    such a store has no head to anchor, and the query of one failed at every interval."""
    if await _walked_async(conn, table) == _COLUMNS:
        return None
    cursor = conn.cursor(binary=True)
    await cursor.execute(_query(_FIRST_TWO, table, _UNCHAINED))
    rows = [_row(values) for values in await cursor.fetchall()]
    if not rows:
        return None
    return judge(rows[0], None, rows[1] if len(rows) > 1 else None, None)


def _judge_sync(
    conn: psycopg.Connection, table: str, row: Row, before: Row | None, columns: str
) -> Break:
    found = conn.execute(_query(_AFTER, table, columns), (row.position,)).fetchone()
    source = None
    if row.prev_hash is not None:
        source = _scalar(conn, _query(_SOURCE, table), (row.prev_hash,))
    return judge(row, before, None if found is None else _row(found), source)


def _scalar(conn: psycopg.Connection, query: sql.Composed, params: Any = None) -> int | None:
    found = conn.execute(query, params).fetchone()
    return None if found is None or found[0] is None else int(found[0])


def _against(anchor: Anchor, row: Row, held: int) -> Break | None:
    """An anchor at or before a verified row: that row's hash, or a missing position.
    ``held`` is the last anchored position that still holds (0: none), after which the
    rewrite began: each hash vouches for every row before it."""
    if anchor.position == row.position and anchor.hash == row.hash:
        return None
    since = f" after event {held} (its anchor still holds)" if held else ""
    if anchor.position == row.position:
        text = (
            f"event {row.position} hashes to {_hex(row.hash)}, not to the hash anchored "
            f"{anchor.at}: the chain was rewritten{since} up to it"
        )
        return _at_anchor(
            anchor,
            Verdict.REWRITTEN,
            text,
            found=_hex(row.hash),
            aggregate_id=row.originator_id,
            version=row.version,
            topic=row.topic,
            related=row.position,
        )
    text = (
        f"no event at anchored position {anchor.position} (anchored {anchor.at}): the "
        f"chain was rewritten{since} without it"
    )
    return _at_anchor(anchor, Verdict.REWRITTEN, text, related=row.position)


def _beyond(anchor: Anchor, head: int) -> Break | None:
    """An anchor past the walk: fine when the store has grown since, else its tail was cut."""
    if anchor.position <= head:
        return None
    text = (
        f"the store ends at event {head}, before position {anchor.position} anchored "
        f"{anchor.at}: the newest events were removed"
    )
    return _at_anchor(anchor, Verdict.TRUNCATED, text, related=head)


# --- one client's record ------------------------------------------------------------------

_CLIENT = """
WITH mine AS (
    SELECT notification_id FROM {table} WHERE originator_id = ANY(%s)),
wanted AS (
    SELECT notification_id FROM mine
    UNION
    SELECT (SELECT n.notification_id FROM {table} n
            WHERE n.notification_id > m.notification_id
            ORDER BY n.notification_id LIMIT 1) FROM mine m)
SELECT e.*, b.*
FROM wanted w JOIN LATERAL (
    SELECT {columns} FROM {table} WHERE notification_id = w.notification_id) e ON true
LEFT JOIN LATERAL (
    SELECT {columns} FROM {table} p WHERE p.notification_id < e.notification_id
    ORDER BY p.notification_id DESC LIMIT 1) b ON true
ORDER BY e.notification_id
"""


CLIENT_RECORDS = (
    ClientRecord,
    CareTeam,
    ConsentRecord,
    MedicationRecord,
    TherapyRecord,
    CheckInRecord,
    AlertRecord,
)
"""Every aggregate kept per client: a client's events are theirs."""


def client_aggregates(client_id: UUID) -> list[UUID]:
    return [aggregate_id(record.context, client_id) for record in CLIENT_RECORDS]


@dataclass(frozen=True, slots=True)
class ClientReport:
    """One client's rows: how many were checked (with the links into and out of each)."""

    checked: int
    first_position: int | None
    last_position: int | None
    broken: Break | None


async def verify_client(conn: AsyncConnection, client_id: UUID, table: str = TABLE) -> ClientReport:
    """Every row of the client's aggregates hashes as written and follows the row before it
    in the global order, the row after each follows it, each aggregate's versions run 1, 2,
    3 ... without a gap, and the enrolment they all follow is stored. The newest event of a
    client removed with nothing of theirs after it leaves no trace among their rows: the
    whole store's walk (and its anchors) catch that."""
    aggregate_ids = client_aggregates(client_id)
    columns = await _walked_async(conn, table)
    cursor = conn.cursor(binary=True)
    await cursor.execute(_query(_CLIENT, table, columns), (aggregate_ids,))
    pairs = [(_row(r[:7]), None if r[7] is None else _row(r[7:])) for r in await cursor.fetchall()]
    wanted = set(aggregate_ids)
    mine = [row for row, _ in pairs if row.originator_id in wanted]
    broken = None
    for row, before in pairs:
        if not links(row, before):
            after = await conn.execute(_query(_AFTER, table, columns), (row.position,))
            found = await after.fetchone()
            source = None
            if row.prev_hash is not None:
                hit = await conn.execute(_query(_SOURCE, table), (row.prev_hash,))
                source_row = await hit.fetchone()
                source = None if source_row is None else int(source_row[0])
            broken = judge(row, before, None if found is None else _row(found), source)
            break
    for gap in (_version_gap(mine), _unenrolled(client_id, mine)):
        if gap is not None and (broken is None or gap.position < broken.position):
            broken = gap
    return ClientReport(
        checked=len(mine),
        first_position=mine[0].position if mine else None,
        last_position=mine[-1].position if mine else None,
        broken=broken,
    )


def _unenrolled(client_id: UUID, rows: Sequence[Row]) -> Break | None:
    """Rows of the client without their enrolment (version 1 of their client record, which
    every other event of theirs follows): it was deleted, and no row of theirs stood beside
    it to show the cut in the chain."""
    enrolment = aggregate_id(ClientRecord.context, client_id)
    if not rows or any(row.originator_id == enrolment for row in rows):
        return None
    first = rows[0].position
    text = (
        f"client {client_id}'s enrolment (aggregate {enrolment} version 1) is not stored, yet "
        f"their events from {first} on are: it was deleted"
    )
    return Break(
        position=first, verdict=Verdict.DELETED, message=text, aggregate_id=enrolment, version=1
    )


def _version_gap(rows: Sequence[Row]) -> Break | None:
    """The first row whose aggregate skipped a version (an event of it was deleted)."""
    seen: dict[UUID, int] = {}
    for row in rows:
        last = seen.get(row.originator_id, 0)
        if row.version != last + 1:
            where = f"event {row.position} (aggregate {row.originator_id} version {row.version})"
            text = f"{where} follows version {last} of its aggregate: the ones between were deleted"
            return Break(verdict=Verdict.DELETED, message=text, **_at(row))
        seen[row.originator_id] = row.version
    return None
