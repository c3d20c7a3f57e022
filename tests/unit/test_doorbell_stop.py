"""A follower waiting for the doorbell stops when cancelled, even when the bell rings at
that very moment: a cancel lost there left a process (and a test run) waiting for ever."""

from __future__ import annotations

import asyncio

import pytest

from carecoord.services.infrastructure import doorbell
from carecoord.services.infrastructure.doorbell import Page, next_page

# How many loop turns pass between the ring and the cancel: the race falls in one of them.
TURNS = range(6)


async def stops(task: asyncio.Task[object]) -> bool:
    """Whether ``task``, cancelled, ends within a second."""
    task.cancel()
    try:
        async with asyncio.timeout(1):
            await task
    except asyncio.CancelledError:
        return True
    except TimeoutError:
        task.cancel()  # the lost cancel is lost for good: a second one ends it
        return False
    return task.done()


@pytest.mark.parametrize("turns", TURNS)
async def test_a_follower_stops_when_cancelled_as_the_bell_rings(
    turns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doorbell, "read_page", lambda store, after, limit: Page([], [], after))
    wake = asyncio.Event()
    follower = asyncio.create_task(next_page(None, wake, 0, 10))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)  # it has read an empty page and waits for the bell

    wake.set()
    for _ in range(turns):
        await asyncio.sleep(0)

    assert await stops(follower)  # it never returns on its own: the page stays empty
