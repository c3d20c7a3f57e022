"""The live timeline feed: every open subscription of a process served by one statement per
projected batch, each watch handed its own client's entries once, in order, even one that
starts from an older position while others are live."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest
from statements import statements

from carecoord.events import Actor, Role
from carecoord.projections import timeline, timeline_feed
from carecoord.projections.timeline_feed import Watch
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.checkins.commands import record_check_in
from carecoord.services.checkins.record import CheckIn
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
CLIENTS = 5
READER = "nurse-1"
SOCKET = 1
"""The socket every watch here pushes on."""


async def enrolled(platform: Platform, count: int) -> list[UUID]:
    done = await asyncio.gather(
        *(
            platform.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="OTP"))
            for i in range(count)
        )
    )
    assert await platform.progress.reach(timeline.NAME, max(o.position for o in done), 10)
    return [o.result for o in done]


async def check_ins(platform: Platform, clients: list[UUID]) -> int:
    """One self-reported check-in per client, in one group commit; the last position."""
    done = await asyncio.gather(
        *(
            platform.bus.execute(
                record_check_in(
                    Stamp(Actor(id=str(c), role=Role.CLIENT)),
                    client_id=c,
                    check_in=CheckIn(craving=3),
                    rules=platform.alert_rules,
                )
            )
            for c in clients
        )
    )
    return max(o.position for o in done)


async def drained(watch: Watch, through: int) -> list[int]:
    """The positions a watch is handed until it has ``through``."""
    positions: list[int] = []
    while watch.after < through or watch.untaken is not None:
        gained = await watch.next(10)
        assert all(e["client_id"] == watch.client_id for e in gained.entries)
        positions += [e["position"] for e in gained.entries]
    return positions


async def test_each_watch_gets_its_clients_entries_once_in_order(platform: Platform) -> None:
    clients = await enrolled(platform, CLIENTS)
    start = platform.progress.position(timeline.NAME)
    feed = platform.timelines
    watches = [feed.watch(c, start, READER, SOCKET) for c in clients]
    first = await check_ins(platform, clients)
    second = await check_ins(platform, clients)
    assert await platform.progress.reach(timeline.NAME, second, 10)
    # a late subscriber resuming from before both batches catches up beside the live ones
    late = feed.watch(clients[0], start, READER, SOCKET)

    got = await asyncio.gather(*(drained(w, second) for w in [*watches, late]))

    for positions in got:
        assert len(positions) == 2
        assert positions == sorted(positions)
        assert start < positions[0] <= first < positions[1] <= second
    assert got[-1] == got[0]
    for watch in [*watches, late]:
        feed.close(watch)


async def test_one_statement_serves_every_watch_at_the_same_position(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = await enrolled(platform, CLIENTS)
    start = platform.progress.position(timeline.NAME)
    watches = [platform.timelines.watch(c, start, READER, SOCKET) for c in clients]
    with statements(monkeypatch) as sent:
        last = await check_ins(platform, clients)
        assert await platform.progress.reach(timeline.NAME, last, 10)
        await asyncio.gather(*(drained(w, last) for w in watches))

    batches = [s for s in sent if "client_id = ANY" in s]
    assert 1 <= len(batches) <= 2  # one per projected batch the check-ins landed in, not per watch
    for watch in watches:
        platform.timelines.close(watch)


@pytest.mark.parametrize("alongside", [timeline_feed.PROBED_ALONGSIDE, 2])
async def test_each_batch_carries_its_clients_newest_access_change(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, alongside: int
) -> None:
    """Read with the rows (few watched clients) or after them for the clients that gained
    rows (many): either way a subscription decides on access views that have it."""
    monkeypatch.setattr(timeline_feed, "PROBED_ALONGSIDE", alongside)
    clients = await enrolled(platform, CLIENTS)
    assigned = await platform.bus.execute(
        assign_member(ADMIN, client_id=clients[0], member_id="nurse-1", role=Role.NURSE)
    )
    start = platform.progress.position(timeline.NAME)
    watches = [platform.timelines.watch(c, start, READER, SOCKET) for c in clients]
    last = await check_ins(platform, clients)
    for watch in watches:
        gained = await watch.next(10)
        while not gained.entries:
            gained = await watch.next(10)
        assert gained.access_changed is not None
        assert gained.through <= last
        if watch.client_id == clients[0]:
            assert gained.access_changed == assigned.position
        platform.timelines.close(watch)


async def test_a_watch_is_handed_more_only_once_it_took_what_it_holds(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subscriber no longer reading its socket takes nothing: its watch held a batch for
    every projected batch of any client, for as long as the socket stayed open. It now
    holds one, and what came meanwhile is read when it takes it: nothing lost, in order."""
    monkeypatch.setattr(timeline_feed, "CATCH_UP_PAGE", 2)
    [client] = await enrolled(platform, 1)
    start = platform.progress.position(timeline.NAME)
    stalled = platform.timelines.watch(client, start, READER, SOCKET)
    first = await check_ins(platform, [client])
    assert await platform.progress.reach(timeline.NAME, first, 10)
    await asyncio.sleep(0.2)  # the feed hands over after the view has the rows
    held = stalled.untaken
    assert held is not None
    later = [await check_ins(platform, [client]) for _ in range(2)]
    recorded = later[-1]
    assert await platform.progress.reach(timeline.NAME, recorded, 10)
    await asyncio.sleep(0.2)  # the feed hands over after the view has the rows

    assert stalled.untaken is held  # handed nothing more
    assert stalled.after == held.through < later[0]

    positions = await drained(stalled, recorded)
    assert len(positions) == 3
    assert positions == sorted(positions)
    platform.timelines.close(stalled)


async def test_a_watch_far_behind_catches_up_a_page_at_a_time(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subscription resumed from the start of a long record read it whole in one pass of
    the feed, each, while every other subscription's push waited."""
    monkeypatch.setattr(timeline_feed, "CATCH_UP_PAGE", 2)
    [client] = await enrolled(platform, 1)
    start = platform.progress.position(timeline.NAME)
    recorded = await check_ins(platform, [client] * 5)
    assert await platform.progress.reach(timeline.NAME, recorded, 10)
    late = platform.timelines.watch(client, start, READER, SOCKET)

    pages = []
    while late.after < recorded or late.untaken is not None:
        pages.append([e["position"] for e in (await late.next(10)).entries])

    assert [len(page) for page in pages] == [2, 2, 1]
    positions = [position for page in pages for position in page]
    assert positions == sorted(positions)
    platform.timelines.close(late)


@pytest.mark.parametrize("page", [timeline_feed.CATCH_UP_PAGE, 2])
async def test_watches_resumed_at_many_positions_are_served_together(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    """Subscriptions resumed each from another position read a page each, one after the
    other: 500 resumed one entry apart grew the process from 108 to 669 MB, and a push
    to anyone else waited 72 s. One statement now serves them all (and one more for those a full
    page of a catch-up did not reach), each handed its entries past its own position."""
    monkeypatch.setattr(timeline_feed, "CATCH_UP_PAGE", page)
    [client] = await enrolled(platform, 1)
    start = platform.progress.position(timeline.NAME)
    recorded = [await check_ins(platform, [client]) for _ in range(6)]
    assert await platform.progress.reach(timeline.NAME, recorded[-1], 10)
    froms = [start, *recorded[:-1]]
    with statements(monkeypatch) as sent:
        watches = [platform.timelines.watch(client, after, READER, SOCKET) for after in froms]
        got = await asyncio.gather(*(drained(w, recorded[-1]) for w in watches))

    assert got == [[p for p in recorded if p > after] for after in froms]
    if page > len(recorded):
        assert len([s for s in sent if "client_id = ANY" in s]) == 1
    for watch in watches:
        platform.timelines.close(watch)
