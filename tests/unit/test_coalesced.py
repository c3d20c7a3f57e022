"""Concurrent asks share one call: each gets the answer of the next call that starts after
it asked, with everything that call's joiners wanted."""

from __future__ import annotations

import asyncio

import pytest

from carecoord.services.infrastructure.coalesced import Coalesced


class Probe:
    """A call that records what each call covered and answers with its number."""

    def __init__(self) -> None:
        self.calls: list[frozenset[int]] = []
        self.release = asyncio.Event()

    async def __call__(self, keys: frozenset[int]) -> int:
        self.calls.append(keys)
        await self.release.wait()
        return len(self.calls)


async def test_asks_made_together_share_one_call_with_all_their_keys() -> None:
    probe = Probe()
    shared = Coalesced(probe)
    asks = [asyncio.create_task(shared.ask({k})) for k in range(10)]
    await asyncio.sleep(0)
    probe.release.set()

    assert await asyncio.gather(*asks) == [1] * 10
    assert probe.calls == [frozenset(range(10))]


async def test_an_ask_made_while_a_call_runs_waits_for_the_next_call() -> None:
    probe = Probe()
    shared = Coalesced(probe)
    first = asyncio.create_task(shared.ask({1}))
    await asyncio.sleep(0)  # the first call has started
    later = [asyncio.create_task(shared.ask({k})) for k in (2, 3)]
    await asyncio.sleep(0)
    probe.release.set()

    assert await first == 1
    assert await asyncio.gather(*later) == [2, 2]  # not the running call's answer
    assert probe.calls == [frozenset({1}), frozenset({2, 3})]


async def test_one_asker_cancelled_leaves_the_others_their_answer() -> None:
    probe = Probe()
    shared = Coalesced(probe)
    gone, kept = (asyncio.create_task(shared.ask({k})) for k in (1, 2))
    await asyncio.sleep(0)
    gone.cancel()
    probe.release.set()

    assert await kept == 1
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_a_failed_call_fails_each_of_its_askers_and_the_next_call_runs() -> None:
    calls = 0

    async def flaky(keys: frozenset[int]) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database gone")
        return calls

    shared = Coalesced(flaky)
    failed = await asyncio.gather(shared.ask({1}), shared.ask({2}), return_exceptions=True)

    assert all(isinstance(f, ConnectionError) for f in failed)
    assert await shared.ask({3}) == 2
