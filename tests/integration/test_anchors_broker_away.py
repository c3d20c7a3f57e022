"""An anchor is appended to the anchors file once, and reaches the broker once the broker
takes it: with the broker away (or the anchor subject held by another stream), every retry
appended the same anchor to the file again, a line each retry for the whole outage."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from test_downstream_census import ADMIN

from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.chain_anchors import NAME, Anchor, Anchoring, read_anchors
from carecoord.services.infrastructure.liveness import Liveness, cancel_loops
from carecoord.services.platform import Platform


class BrokerAway(Anchoring):
    """Its broker refuses every anchor while ``away``; the anchors it took, in order."""

    away = True
    taken: list[Anchor]

    async def _publish(self, anchor: Anchor) -> None:
        if self.away:
            raise ConnectionError("the broker is away")
        self.taken.append(anchor)


class BrokerBlip(Anchoring):
    """Its broker refuses the first anchor (restarting, a moment away), while the store
    moves on, then takes them; the anchors it took."""

    refused: asyncio.Event
    sent: asyncio.Event
    taken: list[Anchor]
    meanwhile: Callable[[], Awaitable[object]]

    async def _publish(self, anchor: Anchor) -> None:
        if not self.refused.is_set():
            await self.meanwhile()
            self.refused.set()
            raise ConnectionError("the broker is away")
        self.taken.append(anchor)
        self.sent.set()


async def test_an_anchor_the_broker_refused_is_sent_again_at_once_not_an_interval_later(
    platform: Platform, tmp_path: Path
) -> None:
    """The loop waited a whole interval (a minute by default) before its retry: for that
    long after a blip of the broker it was failing, and the relay's /health answered 503
    with the loop stuck, for a supervisor to restart a process that had recovered. The
    retry sends the anchor made; the next is made an interval after it, not at each retry."""
    interval = 4.0
    file = tmp_path / "anchors.jsonl"
    settings = platform.settings.model_copy(
        update={"chain_anchor_file": file, "chain_anchor_interval_seconds": interval}
    )
    liveness = Liveness()
    anchoring = BrokerBlip(platform.pool, platform.broker, settings, liveness)
    anchoring.refused, anchoring.sent, anchoring.taken = asyncio.Event(), asyncio.Event(), []
    anchoring.meanwhile = lambda: platform.bus.execute(
        enroll_client(ADMIN, display_name="Sam K.", program="OTP")
    )
    await platform.bus.execute(enroll_client(ADMIN, display_name="Alex R.", program="OTP"))

    loop = asyncio.create_task(anchoring.run())
    try:
        async with asyncio.timeout(interval * 3):
            await anchoring.refused.wait()
        assert liveness.loop(NAME).failing_since is not None
        async with asyncio.timeout(interval / 2):
            await anchoring.sent.wait()
        assert liveness.loop(NAME).failing_since is None
        made, taken = read_anchors(file), list(anchoring.taken)
    finally:
        await cancel_loops([loop])  # which makes a last anchor
    assert len(made) == 1  # the retry sent it, and made none beside it
    assert taken == made


async def test_an_anchor_the_broker_refused_is_written_once_and_published_once_back(
    platform: Platform, tmp_path: Path
) -> None:
    file = tmp_path / "anchors.jsonl"
    settings = platform.settings.model_copy(update={"chain_anchor_file": file})
    anchoring = BrokerAway(platform.pool, platform.broker, settings, platform.liveness)
    anchoring.taken = []
    await platform.bus.execute(enroll_client(ADMIN, display_name="Alex R.", program="OTP"))

    for _ in range(3):  # the loop's retries while the broker is away
        with contextlib.suppress(ConnectionError):
            await anchoring.anchor()
    first = read_anchors(file)
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    anchoring.away = False
    await anchoring.anchor()
    await anchoring.anchor()  # nothing moved, nothing left to send

    assert len(first) == 1
    assert anchoring.taken == read_anchors(file)
    assert [anchor.position for anchor in anchoring.taken] == [
        first[0].position,
        await asyncio.to_thread(platform.store.last_position),
    ]
