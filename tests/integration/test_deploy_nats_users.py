"""The relay and the disclosure forwarder run under the NATS users deploy/nats.conf gives them,
each allowed only what it publishes: the relay publishes the events and the chain's anchors
and resumes from the stream, the forwarder forwards a consented event, on a real
nats-server running the deployment's file. Either refused anything it does would stall."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import nats
import psycopg
import pytest
from conftest import fresh_database, isolated_settings
from forwarding import forwarded_to_head
from restartable_nats import RestartableNats
from tailed import tailed
from test_probe_broker_refusals import published_up_to_the_store
from test_probe_disclosure import consenting_to_the_recipient

from carecoord.services.infrastructure import positions
from carecoord.services.infrastructure.settings import PUBLISHER_INBOX, TAIL_INBOX, Settings
from carecoord.services.runtime.bootstrap import Servers, running

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nats.conf"
PASSWORDS = {
    "NATS_RELAY_PASSWORD": "relay-pw",
    "NATS_DISCLOSURE_PASSWORD": "disclosure-pw",
    "NATS_PASSWORD": "carecoord-pw",
    "NATS_SUBSCRIBER_PASSWORD": "sub-pw",
    "NATS_CLINIC_NORTH_PASSWORD": "north-pw",
    "NATS_JETSTREAM_KEY": "jetstream-key",
}
RECIPIENT = "clinic_north"


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[RestartableNats]:
    broker = RestartableNats(tmp_path, conf=CONF, env=PASSWORDS)
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


def as_user(broker: RestartableNats, user: str, password: str) -> str:
    return f"nats://{user}:{password}@127.0.0.1:{broker.port}"


async def relayed(settings: Settings, url: str, nats_url: str) -> None:
    """A relay's process (the relay and the anchoring, as ``carecoord relay``) run until its
    stream holds the store's head, and stopped (an anchor as it stops)."""
    async with running(
        settings, Servers(url, nats_url), relay=True, project=False, serve=False
    ) as platform:
        await published_up_to_the_store(platform)


async def test_the_relay_and_the_forwarder_run_under_their_own_users(
    servers: Servers, data_dir: Path, deployed: RestartableNats
) -> None:
    settings = isolated_settings(data_dir, stream_name="CARE", subject_root="care")
    relay = as_user(deployed, "relay", "relay-pw")
    north = await nats.connect(as_user(deployed, RECIPIENT, "north-pw"))
    inbox = await north.subscribe(f"disclosed.{RECIPIENT}.>")
    with fresh_database(servers.database_url) as url:
        async with running(
            settings, Servers(url, relay), relay=False, project=False, serve=False, publish=False
        ) as writer:
            await consenting_to_the_recipient(writer, RECIPIENT)
            head = await asyncio.to_thread(writer.store.last_position)
        await relayed(settings, url, relay)  # the stream created, the events published
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            # Its position lost: it finds where it was from the stream's messages (MSG.GET)
            await positions.write(conn, "relay", 0)
        wider = settings.model_copy(update={"duplicate_window_seconds": 300})
        await relayed(wider, url, relay)  # the stream updated
        async with running(
            settings,
            Servers(url, as_user(deployed, "disclosure", "disclosure-pw")),
            relay=False,
            project=False,
            serve=False,
        ) as forwarder:
            await forwarded_to_head(forwarder, RECIPIENT)
        disclosed = await inbox.next_msg(timeout=5)
    await north.close()

    reader = await nats.connect(
        as_user(deployed, "carecoord", "carecoord-pw"), inbox_prefix=TAIL_INBOX
    )
    try:
        js = reader.jetstream()
        care = await js.stream_info("CARE")
        anchors = await js.stream_info("CARE_ANCHORS")
    finally:
        await reader.close()
    assert care.state.messages == head
    assert care.config.duplicate_window == 300
    assert anchors.state.messages >= 1
    assert disclosed.subject.startswith(f"disclosed.{RECIPIENT}.")


@pytest.mark.parametrize(
    ("user", "password", "prefix"),
    [("relay", "relay-pw", PUBLISHER_INBOX), ("carecoord", "carecoord-pw", TAIL_INBOX)],
)
async def test_a_user_subscribes_to_its_own_inbox_alone(
    deployed: RestartableNats, user: str, password: str, prefix: str
) -> None:
    """The relay's replies come under ``PUBLISHER_INBOX``, a tail's deliveries and replies
    under ``TAIL_INBOX`` (each connection's inbox prefix), so neither user may subscribe to
    ``_INBOX.>``, where other users' replies come (a tail's deliveries from the stream among
    them, which the carecoord user could read); the tests around run each under its user."""
    refused: asyncio.Queue[Exception] = asyncio.Queue()

    async def failed(error: Exception) -> None:
        await refused.put(error)

    nc = await nats.connect(as_user(deployed, user, password), error_cb=failed)
    try:
        await nc.subscribe(f"{prefix}.x")
        await nc.subscribe("_INBOX.>")
        await nc.flush()
        error = await asyncio.wait_for(refused.get(), timeout=5)
    finally:
        await nc.close()
    assert str(error) == 'nats: permissions violation for subscription to "_inbox.>"'
    assert refused.empty()


async def test_the_tail_reads_the_stream_under_its_user(
    servers: Servers, data_dir: Path, deployed: RestartableNats
) -> None:
    """``carecoord tail`` under the carecoord user: its consumer's deliveries and replies come
    under the one inbox prefix its user may subscribe to."""
    settings = isolated_settings(data_dir, stream_name="CARE", subject_root="care")
    relay = as_user(deployed, "relay", "relay-pw")
    with fresh_database(servers.database_url) as url:
        async with running(
            settings, Servers(url, relay), relay=False, project=False, serve=False, publish=False
        ) as writer:
            await consenting_to_the_recipient(writer, RECIPIENT)
            head = await asyncio.to_thread(writer.store.last_position)
        await relayed(settings, url, relay)
        tail = Servers(url, as_user(deployed, "carecoord", "carecoord-pw"))
        lines, said = await tailed(writer, tail, until=lambda lines: len(lines) == head)
    assert [json.loads(line)["position"] for line in lines] == list(range(1, head + 1)), said
