"""``audit export`` read a program's every event into memory, whatever the period, and made
its text whole beside them before writing a byte: 900 MB for 200,000 events exported as an
empty period, 3.7 GB as a Bundle, nothing bounding it but the machine. JSON Lines are now
written a page of the store at a time, each page's lines before the next page is read, and
a Bundle a client at a time; what the access log records of each client is as before."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC
from typing import Any
from uuid import uuid4

import pytest

from carecoord.events import Actor, Role
from carecoord.projections.audit import history
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure import access_log
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime import audit_export, export_stream

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def arguments(program: str, format: str) -> argparse.Namespace:
    return argparse.Namespace(
        client=None, program=program, recorded_from=None, recorded_to=None, format=format,
        out=None, auditor=f"aud-{uuid4().hex[:6]}",
    )  # fmt: skip


async def test_json_lines_are_written_a_page_of_the_store_at_a_time(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = f"Paged {uuid4().hex[:6]}"
    for n in range(7):
        await platform.bus.execute(enroll_client(ADMIN, display_name=f"P{n}", program=program))
    monkeypatch.setattr(export_stream, "PAGE", 3)
    out = io.StringIO()
    written_at_each_read: list[int] = []
    read = history._rows

    def reading(*given: Any) -> Any:
        written_at_each_read.append(out.getvalue().count("\n"))
        return read(*given)

    monkeypatch.setattr(history, "_rows", reading)
    args = arguments(program, "jsonl")

    await audit_export.export(platform.store, platform.database_url, args, UTC, out)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["display_name"] for line in lines] == [f"P{n}" for n in range(7)]
    # The enrolments' read (the program's clients), then pages of 3: each read after the
    # lines of the page before it were written.
    assert written_at_each_read == [0, 0, 3, 6]
    logged = await access_log.entries(
        platform.pool, client_id=None, actor_id=args.auditor, after=0, limit=100
    )
    assert sorted(e.entry.entries_returned for e in logged) == [1] * 7


async def test_a_bundle_is_written_a_client_at_a_time(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = f"Folded {uuid4().hex[:6]}"
    for n in range(3):
        await platform.bus.execute(enroll_client(ADMIN, display_name=f"F{n}", program=program))
    out = io.StringIO()
    written_at_each_read: list[int] = []
    read = history._rows

    def reading(*given: Any) -> Any:
        written_at_each_read.append(out.getvalue().count('"resourceType": "Patient"'))
        return read(*given)

    monkeypatch.setattr(history, "_rows", reading)

    await audit_export.export(
        platform.store, platform.database_url, arguments(program, "fhir"), UTC, out
    )

    bundle = json.loads(out.getvalue())
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert (bundle["type"], types.count("Patient")) == ("collection", 3)
    assert written_at_each_read == [0, 0, 1, 2]  # the clients, then each one's history
