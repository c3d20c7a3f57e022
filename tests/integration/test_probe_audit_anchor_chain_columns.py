"""The relay's anchoring of a store whose chain's columns were dropped says, once, the break
``audit verify`` reports (at its first event, its hash removed) and anchors nothing; ``audit
verify --anchors`` reports that break too, exit 1. The anchoring's query of the head failed
at every interval instead, logged by its error's class alone ("loop interrupted; resuming",
then "no anchor at shutdown"), and the operator was told nothing of the chain."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import psycopg
import pytest
from audit_cli import audit

from carecoord.events import Actor, Role
from carecoord.services.care.record import ClientRecord
from carecoord.services.infrastructure.chain_anchors import Anchoring, read_anchors
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import UnitOfWork
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def enroll(uow: UnitOfWork) -> None:
    uow.get(ClientRecord, uuid.uuid4()).enroll(
        ADMIN, display_name="Anchored T.", program="OTP", occurred_at=None
    )


def drop_chain_columns(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {TABLE} DROP COLUMN hash CASCADE")
        conn.execute(f"ALTER TABLE {TABLE} DROP COLUMN prev_hash CASCADE")


async def test_anchoring_a_store_without_its_chain_columns_reports_the_break(
    platform: Platform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(2):
        await platform.bus.execute(enroll)
    anchors = tmp_path / "anchors.jsonl"
    settings = platform.settings.model_copy(update={"chain_anchor_file": anchors})
    relay = Anchoring(platform.pool, platform.broker, settings, platform.liveness)
    assert await relay.anchor() is not None
    drop_chain_columns(platform.database_url)

    with caplog.at_level(logging.WARNING):
        assert await relay.anchor() is None
        assert await relay.anchor() is None  # said once
        await relay.final()
    plain = audit(platform.database_url, tmp_path, "verify")
    anchored = audit(platform.database_url, tmp_path, "verify", "--anchors", str(anchors))

    assert plain.returncode == anchored.returncode == 1, plain.stderr + anchored.stderr
    verdict = plain.stdout.splitlines()[0]
    assert verdict.startswith("event chain BROKEN at position ")
    assert anchored.stdout.splitlines()[0] == verdict
    [record] = [r for r in caplog.records if r.name == "carecoord.chain_anchors"]
    assert record.levelname == "ERROR"
    assert "event chain broken: nothing is anchored" in record.getMessage()
    assert "carecoord audit verify" in record.getMessage()
    broken = relay.broken
    assert broken is not None
    position, verdict_name = verdict.removeprefix("event chain BROKEN at position ").split(": ")
    assert (vars(record)["position"], vars(record)["verdict"]) == (int(position), verdict_name)
    assert broken.message in plain.stdout
    assert len(read_anchors(anchors)) == 1  # nothing anchored since
