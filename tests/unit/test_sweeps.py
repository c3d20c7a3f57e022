"""A sweep that fails is logged and runs again at its next interval: one failed run (the
database restarting) must not end the missed-dose or the unwitnessed-return sweep."""

from __future__ import annotations

import asyncio
import logging

import pytest

from carecoord.services.runtime import sweeps


async def test_a_failed_run_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []
    third = asyncio.Event()

    async def once() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise ConnectionError("the database restarted")
        if len(runs) == 3:
            third.set()

    log = logging.getLogger("carecoord.test.sweep")
    with caplog.at_level(logging.ERROR, logger=log.name):
        task = asyncio.create_task(sweeps.every(0.001, once, log))
        await asyncio.wait_for(third.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert runs[:3] == [0, 1, 2]
    [failed] = caplog.records
    assert failed.getMessage() == "sweep failed; retrying at the next interval"
    assert failed.exc_info is not None
    assert failed.exc_info[0] is ConnectionError
