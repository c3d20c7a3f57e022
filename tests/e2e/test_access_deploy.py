"""The deployment's access to the broker: compose health checks, and NATS users limited to
their subjects, checked statically and against a real nats-server running deploy/nats.conf."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
import yaml
from nats.aio.client import Client
from nats.js.api import ConsumerConfig, StreamConfig

from carecoord.services.infrastructure.settings import PUBLISHER_INBOX, TAIL_INBOX
from carecoord.services.infrastructure.stream_reader import HeaderTolerantClient, OrderedReader
from carecoord.services.runtime.embedded import free_port, nats_binary

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nats.conf"
SERVICES = {"postgres", "nats", "api", "relay", "projector"}


def test_compose_runs_every_service_with_a_health_check_and_no_secrets() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert set(services) >= SERVICES
    for name in SERVICES:
        assert services[name].get("healthcheck", {}).get("test"), name
    for name in ("api", "relay", "projector"):
        needs = services[name]["depends_on"]
        assert needs["postgres"]["condition"] == "service_healthy"
        env = services[name]["environment"]
        for secret in ("CARECOORD_JWT_SECRET", "CARECOORD_CIPHER_KEY"):
            assert env[secret].startswith("${"), f"{name} {secret} must come from the env"
    assert "./deploy/nats.conf:/etc/nats/nats.conf:ro" in services["nats"]["volumes"]
    # only the relay connects to the broker, as its own user
    assert services["relay"]["depends_on"]["nats"]["condition"] == "service_healthy"
    assert services["relay"]["environment"]["NATS_URL"].startswith("nats://relay:${")
    for name in ("api", "projector"):
        assert "nats" not in services[name]["depends_on"], name
        assert "NATS_URL" not in services[name]["environment"], name


def test_the_subscriber_user_is_limited_in_the_conf() -> None:
    text = CONF.read_text()
    subscriber = text[text.index("user: subscriber") :]
    assert "care.>" not in subscriber.replace("care.checkins.>", "").replace("care.alerts.>", "")
    assert '"_INBOX.>"' not in subscriber
    assert "$JS.API.CONSUMER.CREATE.CARE.>" not in subscriber


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[str]:
    """deploy/nats.conf on free ports (command-line flags override its listen and store)."""
    port = free_port()
    env = dict(
        os.environ,
        NATS_PASSWORD="carecoord-pw",
        NATS_RELAY_PASSWORD="relay-pw",
        NATS_DISCLOSURE_PASSWORD="disclosure-pw",
        NATS_SUBSCRIBER_PASSWORD="sub-pw",
        NATS_CLINIC_NORTH_PASSWORD="north-pw",
        NATS_JETSTREAM_KEY="jetstream-key",
    )
    command = [nats_binary(), "-c", str(CONF), "-a", "127.0.0.1", "-p", str(port)]
    command += ["-m", "0", "-sd", str(tmp_path)]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None:
                pytest.fail("nats-server refused deploy/nats.conf")
            time.sleep(0.02)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(5)


async def reported(violations: list[str], *texts: str, within: float = 5.0) -> None:
    """Wait until the server has reported each violation (its errors arrive on their own)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(any(text in v.lower() for v in violations) for text in texts):
            return
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def connected(
    server: str, user: str, password: str, *, publisher: str = "relay", **options: Any
) -> AsyncIterator[tuple[Client, Client, list[str]]]:
    """A connection as carecoord's ``publisher`` (the relay, or the forwarder: disclosure)
    and one as ``user``, with the permission violations the server reports to ``user``'s;
    both closed after."""
    violations: list[str] = []

    async def on_error(error: Exception) -> None:
        violations.append(str(error))

    own = await nats.connect(  # its replies under carecoord's own prefix, as the platform's
        server, user=publisher, password=f"{publisher}-pw", inbox_prefix=PUBLISHER_INBOX
    )
    try:
        theirs = await nats.connect(
            server, user=user, password=password, error_cb=on_error, **options
        )
        try:
            yield own, theirs, violations
        finally:
            await theirs.close()
    finally:
        await own.close()


async def test_the_subscriber_reads_its_subjects_and_nothing_else(nats_server: str) -> None:
    async with connected(
        nats_server, "subscriber", "sub-pw", inbox_prefix=b"_INBOX_subscriber"
    ) as (own, outside, violations):
        js = own.jetstream()
        await js.add_stream(StreamConfig(name="CARE", subjects=["care.>"]))
        await js.publish("care.checkins.CheckInRecorded.c1", b'{"craving": 3}')
        await js.publish("care.medication.DoseAdministered.c1", b'{"amount": "60"}')

        theirs = outside.jetstream(timeout=1)
        allowed = await theirs.pull_subscribe(
            "care.checkins.>", durable="subscriber_checkins", stream="CARE"
        )
        received = await allowed.fetch(10, timeout=2)
        with pytest.raises(TimeoutError):
            await theirs.add_consumer(
                "CARE", ConsumerConfig(durable_name="subscriber_checkins", filter_subject="care.>")
            )
        with pytest.raises(TimeoutError):
            await theirs.pull_subscribe("care.>", durable="mine", stream="CARE")
        await outside.subscribe("care.>")
        await outside.flush()
        await reported(violations, 'subscription to "care.>"')
        await outside.publish("care.medication.DoseAdministered.c1", b"forged")
        await outside.flush()
        await reported(violations, 'publish to "care.medication')
        stored = (await js.stream_info("CARE")).state.messages

    assert [m.subject for m in received] == ["care.checkins.CheckInRecorded.c1"]
    refused = [v.lower() for v in violations]
    assert any("consumer.durable.create.care.subscriber_checkins" in v for v in refused)
    assert any('subscription to "care.>"' in v for v in refused)
    assert any('publish to "care.medication' in v for v in refused)
    assert stored == 2


async def test_an_outside_recipient_reads_only_what_was_disclosed_to_it(nats_server: str) -> None:
    async with connected(nats_server, "clinic_north", "north-pw", publisher="disclosure") as (
        own,
        clinic,
        violations,
    ):
        inbox = await clinic.subscribe("disclosed.clinic_north.>")
        await clinic.subscribe("disclosed.clinic_south.>")
        await clinic.subscribe("care.>")
        await clinic.flush()
        await reported(
            violations, 'subscription to "disclosed.clinic_south.>"', 'subscription to "care.>"'
        )
        await own.publish("disclosed.clinic_north.checkins.CheckInRecorded.c1", b"{}")
        await own.publish("disclosed.clinic_south.checkins.CheckInRecorded.c2", b"{}")
        await own.flush()
        received = await inbox.next_msg(timeout=2)
        await clinic.publish("disclosed.clinic_north.forged", b"x")
        await clinic.flush()
        await reported(violations, 'publish to "disclosed.clinic_north.forged"')

    assert received.subject == "disclosed.clinic_north.checkins.CheckInRecorded.c1"
    refused = [v.lower() for v in violations]
    assert any('subscription to "disclosed.clinic_south.>"' in v for v in refused)
    assert any('subscription to "care.>"' in v for v in refused)
    assert any('publish to "disclosed.clinic_north.forged"' in v for v in refused)


async def test_each_publisher_publishes_its_own_subjects_alone(nats_server: str) -> None:
    """The relay publishes care events and anchors, the forwarder disclosures: neither the
    other's, nor any JetStream API the other needs; the subscriber publishes nothing."""
    async with (
        connected(nats_server, "relay", "relay-pw") as (_, relay, by_relay),
        connected(nats_server, "disclosure", "disclosure-pw") as (_, forwarder, by_forwarder),
        connected(nats_server, "subscriber", "sub-pw", inbox_prefix=b"_INBOX_subscriber") as (
            _,
            subscriber,
            by_subscriber,
        ),
    ):
        await relay.publish("care.checkins.CheckInRecorded.c1", b"{}")
        await forwarder.publish("disclosed.clinic_north.checkins.CheckInRecorded.c1", b"{}")
        for subject in ("care.checkins.CheckInRecorded.c1", "anchors.care.event-chain"):
            await forwarder.publish(subject, b"forged")
            await subscriber.publish(subject, b"forged")
        await forwarder.publish("$JS.API.STREAM.INFO.CARE", b"")
        for nc in (relay, subscriber):
            await nc.publish("disclosed.clinic_north.forged", b"x")
        await relay.publish("$JS.API.STREAM.DELETE.CARE", b"")
        for nc in (relay, forwarder, subscriber):
            await nc.flush()
        await reported(by_relay, "disclosed.clinic_north.forged", "stream.delete.care")
        await reported(by_forwarder, "anchors.care.event-chain", "stream.info.care")
        await reported(by_subscriber, "anchors.care.event-chain", "disclosed.clinic_north")

    relay_refused = " ".join(by_relay).lower()
    assert 'publish to "disclosed.clinic_north.forged"' in relay_refused
    assert 'publish to "$js.api.stream.delete.care"' in relay_refused
    assert "care.checkins" not in relay_refused
    forwarder_refused = " ".join(by_forwarder).lower()
    assert 'publish to "care.checkins' in forwarder_refused
    assert 'publish to "anchors.care.event-chain"' in forwarder_refused
    assert 'publish to "$js.api.stream.info.care"' in forwarder_refused
    assert "disclosed.clinic_north" not in forwarder_refused
    subscriber_refused = " ".join(by_subscriber).lower()
    for subject in ("care.checkins", "anchors.care.event-chain", "disclosed.clinic_north.forged"):
        assert f'publish to "{subject}' in subscriber_refused


async def test_carecoord_tails_a_long_history_through_flow_control(nats_server: str) -> None:
    """``carecoord tail`` reads the stream with an ordered consumer of its own
    (``stream_reader.OrderedReader``), which the server paces with flow-control requests the
    client answers: the carecoord user could not answer them, so a tail stopped for good
    after about 2 MB of history. The history is the relay's to publish."""
    relay = await nats.connect(
        nats_server, user="relay", password="relay-pw", inbox_prefix=PUBLISHER_INBOX
    )
    own = HeaderTolerantClient()
    await own.connect(
        nats_server, user="carecoord", password="carecoord-pw", inbox_prefix=TAIL_INBOX
    )
    reader = OrderedReader(own, "CARE", "care.>", new_only=False)
    try:
        js = relay.jetstream()
        await js.add_stream(StreamConfig(name="CARE", subjects=["care.>"]))
        history, body = 3_000, b"x" * 2_048
        for n in range(history - 1):
            await relay.publish(f"care.checkins.CheckInRecorded.c{n % 50}", body)
        await js.publish("care.checkins.CheckInRecorded.last", body)  # stored after the rest
        await reader.start()
        received = 0
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                async for _ in reader.messages():
                    received += 1
                    if received == history:
                        break
        assert reader.restarts == 0
    finally:
        await reader.stop()
        await own.close()
        await relay.close()

    assert received == history
