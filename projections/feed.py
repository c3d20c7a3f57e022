"""The live feed of the read models: the store's own log, read in order after each model's
recorded position.

Why the store and not the broker: the store numbers events under a table lock held until
commit, so reading ``position > p`` in order can never skip one, whatever crashes, and
nothing needs acknowledging. A JetStream consumer acknowledged with AckPolicy.ALL lost
the message in flight when the projector was killed (the restart acknowledged it with a
later one), and a relay that could not publish an event stopped every view behind it.
The views that access decisions rest on now depend on the database alone; the broker
stays the contract for other services (the relay, ``carecoord tail``, disclosures).

A batch is applied in one transaction with the models' positions (``Projector.handle``).
A batch that fails on the data of one of its events is applied again event by event, and
the event that still fails is set aside for the model it broke
(``services/infrastructure/parked.py``);
any other failure (a lost connection, a restart) is retried from the recorded positions.
A batch's log lines carry its events' correlation ids; with tracing on, it is a span.
As it starts, the models whose live generation another version built are rebuilt beside it
(``versions.py``); once it has caught up on a backlog, the models it grew are ANALYZEd
beside it (``statistics.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import psycopg

from carecoord.projections import versions
from carecoord.projections.projector import Projector
from carecoord.projections.statistics import CatchUpGrowth
from carecoord.services.infrastructure import correlation
from carecoord.services.infrastructure.catching_up import CatchingUp
from carecoord.services.infrastructure.crash_points import crash_point
from carecoord.services.infrastructure.doorbell import Doorbell, Page, next_page
from carecoord.services.infrastructure.liveness import Liveness, keep_running
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore

if TYPE_CHECKING:
    from carecoord.services.infrastructure.tracing import Tracing

# Failures that come from an event's data rather than from the moment: applying the same
# event again fails the same way, so it is set aside instead of retried forever.
POISON: tuple[type[Exception], ...] = (
    psycopg.DataError,
    psycopg.IntegrityError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    LookupError,
    ArithmeticError,
)


async def follow(
    store: EventStore,
    projector: Projector,
    doorbell: Doorbell,
    liveness: Liveness,
    settings: Settings,
    tracing: Tracing | None = None,
) -> None:
    """Keep every read model up with the store, until cancelled."""
    wake = doorbell.bell()

    async def head() -> int:
        return await asyncio.to_thread(store.last_position)

    async def feed() -> None:
        after = min((await projector.positions()).values(), default=0)
        behind = CatchingUp(projector.name, head)
        growth = CatchUpGrowth(projector.pool, projector.models)
        await behind.start(after)
        while True:
            page = await next_page(store, wake, after, settings.projection_batch_size)
            liveness.working(projector.name)
            crash_point("projector-read")
            with (
                correlation.bound(**correlation.of_events(item.event for item in page.events)),
                contextlib.nullcontext()
                if tracing is None
                else tracing.applying(page.events, page.last),
            ):
                await apply_or_set_aside(projector, page)
            crash_point("projector-applied")
            after = page.last
            liveness.progressed(projector.name)
            read = len(page.events) + len(page.unreadable)
            full = read >= settings.projection_batch_size
            await behind.moved(after, read, full=full)
            analyze = growth.page(page.events, full=full)
            if analyze is not None:  # beside the feed: the next page waits for none of it
                beside.create_task(analyze)

    async with asyncio.TaskGroup() as beside:
        # The models an earlier release derived are rebuilt beside the live feed, which
        # leaves their old rows alone until the switch (``versions.py``).
        beside.create_task(
            keep_running(
                versions.LOOP,
                lambda: versions.rebuild_outdated(
                    store, projector.pool, projector.models, liveness
                ),
                liveness,
            )
        )
        await keep_running(projector.name, feed, liveness)


async def apply_or_set_aside(projector: Projector, page: Page) -> None:
    try:
        await projector.handle(page.events, through=page.last, unreadable=page.unreadable)
    except POISON:
        for item in page.events:
            await projector.handle([item], set_aside=POISON)
        await projector.handle([], through=page.last, unreadable=page.unreadable)
