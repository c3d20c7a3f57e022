"""The disclosure forwarder while its broker is down: nats-py's flush returns at once while
the client reconnects, its messages only in its own buffer, and the forwarder recorded each
disclosure sent that no server had (lost for good had the process ended before the broker
came back). Nothing is recorded sent until the broker has it; once back, the intent is sent
and recorded, once. Nor is anything published while the client reconnects: nats-py kept each
retry's messages and sent them all once the broker was back, a copy more every retry."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from conftest import isolated_settings, started
from forwarding import forwarding
from nats.aio.msg import Msg
from restartable_nats import RestartableNats
from test_probe_disclosure import consenting_to_the_recipient
from test_probe_disclosure_broker_quiet import checked_in

from carecoord.events import Kind
from carecoord.events.access import DisclosureIntended, DisclosureRecorded
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers


def disclosures(platform: Platform) -> tuple[list[DisclosureIntended], list[DisclosureRecorded]]:
    stored = [p.event for p in platform.store.read(0, 10_000)]
    return (
        [e for e in stored if isinstance(e, DisclosureIntended)],
        [e for e in stored if isinstance(e, DisclosureRecorded)],
    )


async def intended(platform: Platform, count: int) -> None:
    while True:
        intents, _ = await asyncio.to_thread(disclosures, platform)
        if len(intents) >= count:
            return
        await asyncio.sleep(0.05)


async def test_nothing_is_recorded_sent_while_the_broker_is_down(
    servers: Servers, data_dir: Path, tmp_path: Path
) -> None:
    broker = RestartableNats(tmp_path)
    broker.start()
    recipient = f"probe-{uuid.uuid4().hex[:12]}"
    try:
        settings = isolated_settings(data_dir)
        async with started(settings, Servers(servers.database_url, broker.url)) as platform:
            client = await consenting_to_the_recipient(platform, recipient, Kind.CHECK_IN)
            received: list[Msg] = []
            arrived = asyncio.Event()

            async def collect(msg: Msg) -> None:
                received.append(msg)
                arrived.set()

            nc = platform.broker.connection
            inbox = await nc.subscribe(f"{settings.disclosure_root}.{recipient}.>", cb=collect)
            async with forwarding(platform, recipient) as forwarder:
                async with asyncio.timeout(20):
                    await forwarder.reached(await asyncio.to_thread(platform.store.last_position))
                    broker.kill()
                    position = await checked_in(platform, client, 30)
                    await intended(platform, 1)
                await asyncio.sleep(4)  # its publish and flush, and its retries, meet no broker
                _, recorded = await asyncio.to_thread(disclosures, platform)
                assert recorded == [], "recorded sent while no broker had it"
                broker.start()
                async with asyncio.timeout(30):
                    await forwarder.reached(position)
                    await arrived.wait()
                await asyncio.sleep(1)  # any copy more the reconnect flushed
            await inbox.unsubscribe()
            intents, recorded = await asyncio.to_thread(disclosures, platform)
    finally:
        if broker.running:
            broker.kill()
    assert [r.disclosure_id for r in recorded] == [i.disclosure_id for i in intents]
    assert len(intents) == 1
    assert {(m.headers or {}).get("Nats-Msg-Id") for m in received} == {
        f"{recipient}:{intents[0].event_ids[0]}"
    }
    # The attempt the outage met (before the client knew of it) and the one sent again.
    assert len(received) <= 2, f"{len(received)} copies of one disclosure"
