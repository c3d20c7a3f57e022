"""A COPY cut short by an error ends with a message the server logs. psycopg's says the
error's message, which for a database error quotes the failing row (``DETAIL: Failing row
contains (...)``): a rebuild whose other read model failed so, its COPY into the timeline
open, wrote a client's words into PostgreSQL's log. The server is now told the error's
class and SQLSTATE alone; the error itself reaches the caller as it was."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import pytest
from psycopg import _copy_async, generators

from carecoord.events import Actor, Role
from carecoord.events.positioned import Positioned
from carecoord.projections import careteam, timeline
from carecoord.projections.rebuild import rebuild_all
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
QUOTED = 'new row violates check constraint "x" DETAIL: Failing row contains (Sam K., relapsed)'


async def test_a_rebuild_cut_short_tells_the_server_no_row(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolled = await platform.bus.execute(
        enroll_client(ADMIN, display_name="Sam K.", program="OTP")
    )
    await platform.bus.execute(
        assign_member(ADMIN, client_id=enrolled.result, member_id="nurse-kim", role=Role.NURSE)
    )
    told: list[bytes | None] = []

    def copy_end(pgconn: Any, error: bytes | None) -> Any:
        told.append(error)
        return generators.copy_end(pgconn, error)

    async def failing(conn: Any, generation: int, batch: Sequence[Positioned]) -> None:
        raise psycopg.errors.CheckViolation(QUOTED)

    monkeypatch.setattr(_copy_async, "copy_end", copy_end)
    monkeypatch.setattr(careteam, "apply", failing)

    with pytest.raises(psycopg.errors.CheckViolation) as raised:
        await rebuild_all(platform.store, platform.pool, [timeline, careteam])

    assert str(raised.value) == QUOTED
    cut = [error for error in told if error is not None]  # the live projector's ended well
    assert cut, "the timeline's COPY was open"
    assert all(b"relapsed" not in error for error in cut)
    assert all(b"CheckViolation/23514" in error for error in cut)
