"""A start cut short: Ctrl-C or SIGTERM while a process starts (``carecoord up`` cancels
its task) stops what the start had started, and is not lost to a driver that took it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import delete_stream, fresh_database, isolated_settings

from carecoord.services.runtime import bootstrap
from carecoord.services.runtime.bootstrap import Servers, running

STOP_SECONDS = 20.0


async def start_cut_short(servers: Servers, data_dir: Path, *, taken: bool) -> set[str]:
    """Cancel ``running`` while it brings the calendars up to date, its pools, broker and
    first loops started; ``taken``: the step takes the cancel and returns, as Python 3.11's
    ``asyncio.wait_for`` in a driver does when it completes as the cancel arrives. The
    names of the tasks the start left behind."""
    settings = isolated_settings(data_dir)
    reached = asyncio.Event()
    entered = False

    async def calendars(*_: object) -> None:
        reached.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if not taken:
                raise

    async def start(url: str) -> None:
        nonlocal entered
        async with running(settings, Servers(url, servers.nats_url)):
            entered = True

    before = asyncio.all_tasks()
    with fresh_database(servers.database_url) as url, pytest.MonkeyPatch.context() as patch:
        patch.setattr(bootstrap, "put_on_calendars", calendars)
        task = asyncio.create_task(start(url))
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await reached.wait()
            task.cancel()
            async with asyncio.timeout(STOP_SECONDS):
                with pytest.raises(asyncio.CancelledError):
                    await task
            left = await still_running(before)
        finally:
            await delete_stream(servers.nats_url, settings.stream_name)
    assert not entered, "the platform ran after its start was cancelled"
    return left


async def still_running(before: set[asyncio.Task[object]]) -> set[str]:
    """The names of the tasks started since ``before`` that are still running once what was
    stopped has had time to run its last steps (a tenth of a second was too little on a
    loaded machine); one never stopped is still running after it."""
    for _ in range(50):
        left = {t.get_name() for t in asyncio.all_tasks() - before if not t.done()}
        if not left:
            break
        await asyncio.sleep(0.1)
    return left


async def test_a_start_cancelled_leaves_no_pool_or_loop_running(
    servers: Servers, data_dir: Path
) -> None:
    """The pools' workers, the broker's and the first loops are stopped: a pool left open
    kept workers that take a cancel for a failed connection and try again, so the process
    never ended (``up`` hung on Ctrl-C as it started)."""
    assert await start_cut_short(servers, data_dir, taken=False) == set()


async def test_a_cancel_a_start_step_took_still_stops_it(servers: Servers, data_dir: Path) -> None:
    """The platform is not run with a cancel pending, and nothing it started is left."""
    assert await start_cut_short(servers, data_dir, taken=True) == set()


async def test_a_start_cancelled_does_not_log_the_broker_lost(
    servers: Servers, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The broker closed by the start's own undoing is no broker that gave up: a SIGTERM
    as ``up`` started logged BROKER_GONE, "exiting for a restart" with exit status 75, and
    the process then ended 0, as a stop on purpose does."""
    caplog.set_level("WARNING", logger="carecoord")
    await start_cut_short(servers, data_dir, taken=False)
    assert [r.getMessage() for r in caplog.records if getattr(r, "code", "") == "BROKER_GONE"] == []
