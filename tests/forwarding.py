"""A disclosure forwarder run as ``carecoord disclose`` runs it, beside a test's platform, from
the log's start until it has sent what the store held when it began."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from nats.aio.msg import Msg

from carecoord.services.platform import Platform
from carecoord.services.runtime.disclosure import Forwarder


@contextlib.asynccontextmanager
async def forwarding(
    platform: Platform, recipient: str, *, name: str = ""
) -> AsyncIterator[Forwarder]:
    """``recipient``'s forwarder running from the stream's start while the block runs."""
    forwarder = Forwarder(platform, recipient, name=name, from_start=True)
    task = asyncio.create_task(forwarder.run())
    try:
        yield forwarder
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def sent_to_head(platform: Platform, forwarder: Forwarder) -> None:
    """Until ``forwarder`` has sent the store's head now (20 s at most), flushed to the server."""
    head = await asyncio.to_thread(platform.store.last_position)
    async with asyncio.timeout(20):
        await forwarder.reached(head)
    await platform.broker.connection.flush()


async def forwarded_to_head(platform: Platform, recipient: str, *, name: str = "") -> None:
    """One run of ``recipient``'s forwarder, from the stream's start to the store's head now
    (20 s at most), its messages flushed to the server before it stops."""
    async with forwarding(platform, recipient, name=name) as forwarder:
        await sent_to_head(platform, forwarder)


async def received_by(platform: Platform, recipient: str, *, within: str = ">") -> list[Msg]:
    """What ``recipient`` is sent, on its subjects ``within`` (``alerts.>``: its alerts), by
    one run of its forwarder to the store's head."""
    received: list[Msg] = []

    async def collect(msg: Msg) -> None:
        received.append(msg)

    nc = platform.broker.connection
    inbox = await nc.subscribe(
        f"{platform.settings.disclosure_root}.{recipient}.{within}", cb=collect
    )
    try:
        await forwarded_to_head(platform, recipient, name=recipient)
    finally:
        await inbox.unsubscribe()
    return received
