"""An auditor's FHIR export of a period carries the reads of the record made in it: the
reads after its end were fetched from the access log and decoded too, a page at a time to
the newest entry, to be dropped, so a period of last year of a record read every day since
read every read since. The period now bounds the access log's query."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from carecoord.events import Actor, Role
from carecoord.projections.audit.export import Period
from carecoord.projections.audit.reads import reads_of
from carecoord.services.gate.gate import read_entry
from carecoord.services.infrastructure import access_log
from carecoord.services.infrastructure.access_log import AccessLog
from carecoord.services.kernel.policy import Standing, decide
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

AUDITOR = Actor(id="aud-reads", role=Role.AUDITOR)


async def logged(platform: Platform, client: Any, count: int) -> None:
    """``count`` reads of ``client``'s record, in the access log."""
    writer = AccessLog(platform.pool, flush="committed")
    writing = asyncio.create_task(writer.run())
    grant = decide(AUDITOR.role, Standing())
    try:
        for _ in range(count):
            await writer.append(read_entry(Stamp(AUDITOR), client, "probe", grant=grant))
    finally:
        writing.cancel()


async def test_the_reads_after_a_period_are_not_read_for_it(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = uuid4()
    await logged(platform, client, 2)
    end = datetime.now(UTC)
    await logged(platform, client, 5)
    decoded: list[int] = []
    decode = access_log._read

    def counting(seq: int, event: Any) -> Any:
        decoded.append(seq)
        return decode(seq, event)

    monkeypatch.setattr(access_log, "_read", counting)

    found = await reads_of(platform.pool, [client], Period(None, end), most=100)

    assert len(found) == 2
    assert len(decoded) == 2  # none of the five after the period
