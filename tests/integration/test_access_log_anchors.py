"""The relay's anchors carry the access log's head (its newest chained entry's seq and hash),
so ``audit verify --anchors`` finds the newest entries removed (``truncated``) or an entry
rewritten with its hash and every later one recomputed (``rewritten``, as for a head noted
by hand), exit 1: the chain left holds together, and only a head an auditor noted before
showed it. The relay anchors when either head moved, so a platform serving only reads
anchors its access log too."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest
from audit_cli import audit

from carecoord.events import Actor, Role
from carecoord.services.care.record import ClientRecord
from carecoord.services.gate.gate import read_entry
from carecoord.services.infrastructure import access_chain, access_log
from carecoord.services.infrastructure.chain_anchors import (
    Anchor,
    Anchoring,
    anchor_stream,
    read_anchors,
)
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import UnitOfWork
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Actor(id="nurse-1", role=Role.NURSE)
CLIENT = uuid.UUID(int=11)
NAME = "Logged T."
NEWEST = "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1"


def enroll(uow: UnitOfWork) -> None:
    uow.get(ClientRecord, CLIENT).enroll(ADMIN, display_name=NAME, program="OTP", occurred_at=None)


async def log_reads(platform: Platform, count: int) -> None:
    for n in range(count):
        stamp = Stamp(NURSE, correlation_id=uuid.uuid4())
        await platform.access_log.append(read_entry(stamp, CLIENT, "clientTimeline", count=n))


def newest(url: str) -> tuple[int, bytes]:
    with psycopg.connect(url) as conn:
        found = conn.execute(NEWEST).fetchone()
    assert found is not None
    return int(found[0]), bytes(found[1])


def anchoring(platform: Platform, anchors: Path) -> Anchoring:
    settings = platform.settings.model_copy(update={"chain_anchor_file": anchors})
    return Anchoring(platform.pool, platform.broker, settings, platform.liveness)


async def test_each_anchor_carries_the_access_logs_head_and_reads_alone_move_it(
    platform: Platform, tmp_path: Path
) -> None:
    """With the store's head still, reads served meanwhile were never anchored; an anchor of
    the same event head was also taken by the stream for a copy of the last (its message id)."""
    await platform.bus.execute(enroll)
    await log_reads(platform, 2)
    relay = anchoring(platform, tmp_path / "a.jsonl")

    first = await relay.anchor()
    await log_reads(platform, 1)  # reads only: the store's head stays
    second = await relay.anchor()
    third = await relay.anchor()

    assert first is not None
    assert second is not None
    assert first.access_log_head is not None
    assert second.access_log_head == newest(platform.database_url)
    assert second.access_log_head[0] > first.access_log_head[0]
    assert second.position == first.position
    assert third is None  # neither head moved
    assert read_anchors(tmp_path / "a.jsonl") == [first, second]
    js = platform.broker.connection.jetstream()
    stream = anchor_stream(platform.settings)
    published = await js.get_last_msg(stream, f"anchors.{platform.settings.subject_root}.>")
    assert published.data is not None
    assert Anchor.from_json(json.loads(published.data)) == second
    assert (await js.stream_info(stream)).state.messages == 2
    restarted = await anchoring(platform, tmp_path / "a.jsonl").anchor()
    assert restarted is None  # the file's last anchor holds both heads


def tamper(url: str, *statements: tuple[str, tuple[object, ...]]) -> None:
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("ALTER TABLE access_log DISABLE TRIGGER ALL")
        for statement, params in statements:
            conn.execute(statement, params)
        conn.execute("ALTER TABLE access_log ENABLE TRIGGER ALL")


def rewrite_newest(url: str) -> None:
    """The newest entry says fewer entries were returned, its hash recomputed from its
    predecessor's: the chain holds together."""
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT seq, prev_hash, event FROM access_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    assert found is not None
    seq, prev, body = found
    body = body | {"entries_returned": 0}
    hashed = access_chain.link(bytes(prev), body)
    tamper(
        url,
        (
            "UPDATE access_log SET event = %s::jsonb, hash = %s WHERE seq = %s",
            (json.dumps(body), hashed, seq),
        ),
    )


@pytest.mark.parametrize(
    "tampering", ["tail cut", "tail cut and grown", "rewritten", "log dropped"]
)
async def test_verify_holds_the_log_to_every_anchored_head(
    platform: Platform, tmp_path: Path, tampering: str
) -> None:
    await platform.bus.execute(enroll)
    await log_reads(platform, 3)
    anchors = tmp_path / "a.jsonl"
    anchored = await anchoring(platform, anchors).anchor()
    assert anchored is not None
    assert anchored.access_log_head is not None
    head, _ = anchored.access_log_head
    url = platform.database_url
    assert audit(url, tmp_path, "verify", "--anchors", str(anchors)).returncode == 0

    if tampering == "rewritten":
        rewrite_newest(url)
    elif tampering == "log dropped":
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE access_log")
    else:
        tamper(url, ("DELETE FROM access_log WHERE seq >= %s", (head - 1,)))
        if tampering == "tail cut and grown":
            await log_reads(platform, 3)  # numbered on past the cut, chained to what is left
    plain = audit(url, tmp_path, "verify")
    done = audit(url, tmp_path, "verify", "--anchors", str(anchors))

    assert plain.returncode == 0, plain.stdout + plain.stderr  # the chain left holds
    assert done.returncode == 1, done.stdout + done.stderr
    rule = "rewritten" if tampering in {"tail cut and grown", "rewritten"} else "truncated"
    assert f"access log BROKEN at entry {head}: {rule}" in done.stdout
    assert "anchored as its head" in done.stdout
    assert NAME not in done.stdout + done.stderr
    assert str(CLIENT) not in done.stdout + done.stderr


async def test_anchors_written_before_the_head_was_recorded_are_still_read(
    platform: Platform, tmp_path: Path
) -> None:
    await platform.bus.execute(enroll)
    await log_reads(platform, 2)
    anchored = await anchoring(platform, tmp_path / "a.jsonl").anchor()
    assert anchored is not None
    older = anchored.as_json()
    del older["accessLogHead"]
    anchors = tmp_path / "older.jsonl"
    anchors.write_text(json.dumps(older) + "\n")

    done = audit(platform.database_url, tmp_path, "verify", "--anchors", str(anchors))

    assert read_anchors(anchors)[0].access_log_head is None
    assert done.returncode == 0, done.stdout + done.stderr
    assert "access log intact" in done.stdout


async def test_the_access_log_head_is_its_newest_chained_entry(platform: Platform) -> None:
    await log_reads(platform, 2)
    async with platform.pool.connection() as conn:
        found = await access_log.chain_head(conn)

    assert found == newest(platform.database_url)


async def test_a_rewrite_is_said_to_begin_after_the_last_anchored_head_that_holds(
    platform: Platform, tmp_path: Path
) -> None:
    await platform.bus.execute(enroll)
    await log_reads(platform, 2)
    anchors = tmp_path / "a.jsonl"
    holding = await anchoring(platform, anchors).anchor()
    await log_reads(platform, 2)
    assert await anchoring(platform, anchors).anchor() is not None
    assert holding is not None
    assert holding.access_log_head is not None

    rewrite_newest(platform.database_url)
    done = audit(platform.database_url, tmp_path, "verify", "--anchors", str(anchors))

    assert done.returncode == 1, done.stdout + done.stderr
    since = f"rewritten after entry {holding.access_log_head[0]} (its anchor still holds)"
    assert since in done.stdout
