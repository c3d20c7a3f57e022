"""An event stamped just before a period's end, its batch committed just after ``audit
export`` read the store, was in neither that export nor the next, which starts at that end:
an auditor's consecutive exports missed it. An export of a period that ended a moment ago
now waits, saying so, until what was stamped in it is committed; the API refuses it as
unavailable until then, naming when to retry."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from carecoord.events import Actor, Role
from carecoord.events.care import LevelOfCare
from carecoord.graphql.record_export import period
from carecoord.projections.audit import settling
from carecoord.services.care.commands import change_level_of_care, enroll_client
from carecoord.services.kernel.errors import Unavailable
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import UnitOfWork
from carecoord.services.platform import Platform
from carecoord.services.runtime import audit_export

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
COMMITTING = 1.5
"""How long the writer holds its batch between stamping its event and committing it."""


async def test_an_export_of_a_period_just_ended_holds_an_event_stamped_in_it_committed_after(
    platform: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(settling, "SETTLE", timedelta(seconds=2 * COMMITTING))
    client = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo S.", program="OTP"))
    stamped: list[datetime] = []
    decided = threading.Event()
    change = change_level_of_care(ADMIN, client_id=client.result, level=LevelOfCare.OUTPATIENT)

    def slow(uow: UnitOfWork) -> UUID:
        changed = change(uow)
        stamped.append(uow.recorded()[-1].event.recorded_at)
        decided.set()
        time.sleep(COMMITTING)  # the writer's batch, stamped, not yet committed
        return changed

    writing = platform.bus.submit(slow)
    assert await asyncio.to_thread(decided.wait, 10)
    end = stamped[0] + timedelta(seconds=0.3)
    await asyncio.sleep((end - datetime.now(UTC)).total_seconds() + 0.05)
    assert not writing.done()  # the period has ended; its last event is not committed yet
    args = argparse.Namespace(
        client=client.result, program=None, recorded_from=None, recorded_to=end,
        format="jsonl", out=tmp_path / "out.jsonl", auditor="aud-settle",
    )  # fmt: skip

    status = await asyncio.to_thread(audit_export.run, args, platform.database_url)

    assert status == audit_export.EXPORTED, capsys.readouterr().err
    exported = [json.loads(line) for line in args.out.read_text().splitlines()]
    assert writing.result().event_ids[0] in {UUID(line["event_id"]) for line in exported}
    assert f"waiting until {(end + settling.SETTLE).isoformat()}" in capsys.readouterr().err


async def test_an_export_waits_for_a_writer_held_at_the_stores_lock(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``SETTLE`` a batch may still be waiting for the store's lock (an operator's
    ``LOCK TABLE``, a long migration): the export waits for it to commit before it reads."""
    monkeypatch.setattr(settling, "SETTLE", timedelta(seconds=0.5))
    client = await platform.bus.execute(enroll_client(ADMIN, display_name="Al K.", program="OTP"))
    recorder: Any = platform.store.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with psycopg.connect(platform.database_url) as holder:
        holder.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
        writing = platform.bus.submit(
            change_level_of_care(ADMIN, client_id=client.result, level=LevelOfCare.OUTPATIENT)
        )
        end = datetime.now(UTC) + timedelta(seconds=0.3)  # after the writer stamped its event
        await asyncio.sleep(0.3 + 0.5 + 0.2)  # the period ended, SETTLE passed since
        assert not writing.done()  # the writer waits at the lock
        threading.Timer(1.0, holder.rollback).start()
        args = argparse.Namespace(
            client=client.result, program=None, recorded_from=None, recorded_to=end,
            format="jsonl", out=None, auditor="aud-settle",
        )  # fmt: skip
        out = io.StringIO()

        await audit_export.export(platform.store, platform.database_url, args, UTC, out)

    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    assert writing.result().event_ids[0] in {UUID(line["event_id"]) for line in exported}


def test_the_api_refuses_a_period_just_ended_naming_when_to_retry() -> None:
    end = datetime.now(UTC) - timedelta(seconds=1)

    with pytest.raises(Unavailable) as refused:
        period(None, end)

    retry = (end + settling.SETTLE).isoformat()
    assert (refused.value.field, refused.value.rule) == ("recordedTo", "period-settling")
    assert refused.value.details == {"retryAt": retry}
    assert period(None, end - settling.SETTLE).end == end - settling.SETTLE
