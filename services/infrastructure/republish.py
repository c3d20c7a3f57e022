"""Events the relay set aside, published again once an operator mended the cause
(``carecoord relay --republish-parked``): one too large for the broker's ``max_payload`` or
the stream's ``max_msg_size`` after either was raised, one whose message id another message
held once that message is gone from the duplicate window.

Each goes as the relay sends it, under its event id as ``Nats-Msg-Id`` and with its usual
headers, in position order among themselves; its row leaves ``parked_events`` only once the
broker confirmed it. They reach the stream late, after events of later positions: a
subscriber places one by its ``Carecoord-Position`` header (docs/events.md).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from psycopg_pool import AsyncConnectionPool

from carecoord.events.positioned import Positioned
from carecoord.services.infrastructure import parked
from carecoord.services.infrastructure.doorbell import read_page
from carecoord.services.infrastructure.forwarded import Forwarded, forwardable
from carecoord.services.infrastructure.relay import NAME, Relay
from carecoord.services.infrastructure.store import EventStore

NOT_STORED = "EVENT_NOT_STORED"
"""The code of a set-aside position the store holds no entry at."""


@dataclass(frozen=True)
class Republished:
    sent: int
    refused: Counter[str] = field(default_factory=Counter)
    """The events still set aside, by the code of their refusal."""


async def republish_parked(
    relay: Relay, pool: AsyncConnectionPool, store: EventStore
) -> Republished:
    """Publish again every event the relay set aside, in position order; take off the list
    those the broker took, and keep the others with the code it refused each with now."""
    async with pool.connection() as conn:
        positions = await parked.set_aside(conn, NAME)
    items: list[Positioned | Forwarded] = []
    kept: dict[int, str] = {}
    for position in positions:
        page = await asyncio.to_thread(read_page, store, position - 1, 1)
        event = next((e for e in page.events if e.position == position), None)
        unreadable = [u for u in page.unreadable if u.position == position]
        forwarded, unsent = forwardable(unreadable)
        if event is not None:
            items.append(event)
        elif forwarded:
            items.extend(forwarded)
        else:  # still does not decode, or gone
            kept[position] = unsent[0].error if unsent else NOT_STORED
    refused = await relay.send(items)
    kept.update((item.position, code) for item, code in refused)
    done = [item.position for item in items if item.position not in kept]
    async with pool.connection() as conn, conn.transaction():
        await parked.taken_back(conn, NAME, done, kept)
    return Republished(len(done), Counter(kept.values()))
