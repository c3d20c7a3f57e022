"""Long-running loops recover from any failure and say how they are doing."""

from __future__ import annotations

import asyncio

import psycopg

from carecoord.services.infrastructure.liveness import (
    Liveness,
    cancel_loops,
    error_code,
    keep_running,
)


async def test_a_failing_loop_is_run_again_until_it_works() -> None:
    liveness = Liveness(stuck_after=60)
    attempts: list[int] = []

    async def body() -> None:
        attempts.append(len(attempts))
        if len(attempts) < 3:
            raise ConnectionResetError("the broker went away")
        liveness.progressed("relay")

    await asyncio.wait_for(keep_running("relay", body, liveness), 5)

    assert len(attempts) == 3
    state = liveness.report()["relay"]
    assert state["status"] == "ok"
    assert state["lastError"] == "ConnectionResetError"
    assert state["lastProgressSecondsAgo"] is not None
    assert liveness.stuck() == []


async def test_a_loop_failing_longer_than_the_bound_is_stuck_until_it_progresses() -> None:
    liveness = Liveness(stuck_after=0.05)
    liveness.failed("projections", TimeoutError())
    await asyncio.sleep(0.06)
    liveness.failed("projections", TimeoutError())  # still failing: the run began earlier

    assert liveness.stuck() == ["projections"]
    assert liveness.report()["projections"]["status"] == "stuck"

    liveness.progressed("projections")
    assert liveness.stuck() == []


def test_errors_are_kept_as_codes_never_messages() -> None:
    failure = psycopg.errors.UntranslatableCharacter("a note with a client's words in it")
    assert error_code(failure) == "UntranslatableCharacter/22P05"
    assert error_code(ValueError("methadone 90 mg")) == "ValueError"


async def test_a_loop_that_drops_a_cancel_is_cancelled_again_until_it_ends() -> None:
    dropped: list[int] = []

    async def drops_the_first_cancel() -> None:
        # What a library's Python 3.11 asyncio.wait_for does when it completes as the
        # cancel arrives: the loop around it runs on.
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if dropped:
                    raise
                dropped.append(1)

    loop = asyncio.create_task(drops_the_first_cancel())
    await asyncio.sleep(0)

    async with asyncio.timeout(5):
        await cancel_loops([loop, None])

    assert dropped == [1]
    assert loop.cancelled()


def test_a_loop_holding_work_longer_than_the_bound_is_stuck_until_it_progresses() -> None:
    liveness = Liveness(stuck_after=0)
    liveness.progressed("projections")
    assert liveness.stuck() == []  # waiting for work is not being stuck

    liveness.working("projections")  # a page in hand, its transaction behind a lock
    assert liveness.stuck() == ["projections"]
    assert liveness.report()["projections"]["status"] == "stuck"

    liveness.progressed("projections")
    assert liveness.stuck() == []


def test_work_let_go_keeps_its_error_but_leaves_the_loop_waiting_not_stuck() -> None:
    """The access log's writer hands a failed batch back to its reads and retries nothing:
    marked failing, it would read as stuck until the next read came, on a quiet night for
    hours, and /health would have a supervisor restart a process that was fine."""
    liveness = Liveness(stuck_after=0)
    liveness.working("access-log")

    liveness.let_go("access-log", ConnectionResetError("the database went away"))

    assert liveness.stuck() == []
    assert liveness.report()["access-log"]["lastError"] == "ConnectionResetError"
