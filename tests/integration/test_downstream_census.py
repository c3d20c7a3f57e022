"""The example downstream service (carecoord.examples.census) against a real platform and
nats-server: a new subscriber replays the stream from its first message and follows live,
with typed events, once each, in order; a restart or a consumer made again repeats nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from uuid import UUID

import pytest
from faststream.nats import NatsBroker
from test_probe_broker_refusals import set_aside_as_too_large

from carecoord.events import Actor, CareEvent, ClientEnrolled, Role
from carecoord.events.care import LevelOfCare, LevelOfCareChanged
from carecoord.examples.census import DURABLE, Census, Service
from carecoord.services.care.commands import change_level_of_care, enroll_client
from carecoord.services.infrastructure.republish import republish_parked
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
WAIT_SECONDS = 15.0


async def enroll(platform: Platform, name: str) -> tuple[UUID, int]:
    outcome = await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))
    return outcome.result, outcome.position


async def change_level(platform: Platform, client: UUID, level: LevelOfCare) -> int:
    command = change_level_of_care(ADMIN, client_id=client, level=level)
    return (await platform.bus.execute(command)).position


class FailsOnce(Census):
    """A census whose store is away the first time a level of care comes in."""

    failed_at: int | None = None

    def apply(self, position: int, event: CareEvent) -> None:
        if self.failed_at is None and isinstance(event, LevelOfCareChanged):
            self.failed_at = position
            raise ConnectionError("the census database is away")
        super().apply(position, event)


@contextlib.asynccontextmanager
async def census_running(
    platform: Platform, servers: Servers, census: Census
) -> AsyncIterator[NatsBroker]:
    """The census service on its own connection, as a separate process would have it."""
    settings = platform.settings
    broker = Service(
        servers.nats_url,
        census,
        subject_root=settings.subject_root,
        stream=settings.stream_name,
    )
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (or fail after WAIT_SECONDS)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not condition():  # noqa: ASYNC110 - the census is plain state, with no event
            await asyncio.sleep(0.01)


async def relayed(platform: Platform, position: int) -> None:
    """Wait until the relay has put everything up to ``position`` on the stream."""
    relay = platform.relay
    assert relay is not None
    await until(lambda: relay.position >= position)


async def reached(census: Census, position: int) -> None:
    await until(lambda: census.position >= position)


async def census_through(
    platform: Platform, servers: Servers, caplog: pytest.LogCaptureFixture, position: int
) -> tuple[Census, list[int]]:
    """A census run from the stream's start until it has ``position`` (once relayed): it,
    with what it applied, and the stream sequences it skipped as no events."""
    await relayed(platform, position)
    census = Census()
    with caplog.at_level(logging.WARNING, logger="census"):
        async with census_running(platform, servers, census):
            await reached(census, position)
    return census, skipped_sequences(caplog.records)


def skipped_sequences(records: Sequence[logging.LogRecord]) -> list[int]:
    """The stream sequences of the messages the census logged as no events, in order."""
    return sorted(
        int(getattr(r, "stream_sequence", 0))
        for r in records
        if getattr(r, "code", None) == "MESSAGE_UNREADABLE"
    )


async def test_a_new_subscriber_replays_the_stream_then_follows_live_once_each_in_order(
    platform: Platform, servers: Servers
) -> None:
    alex, _ = await enroll(platform, "Alex R.")
    sam, _ = await enroll(platform, "Sam K.")
    await change_level(platform, alex, LevelOfCare.RESIDENTIAL)
    await change_level(platform, sam, LevelOfCare.OUTPATIENT)
    history = await change_level(platform, alex, LevelOfCare.INTENSIVE_OUTPATIENT)

    await relayed(platform, history)

    census = Census()
    async with census_running(platform, servers, census):
        await reached(census, history)  # on the stream before the service existed: replayed
        jo, _ = await enroll(platform, "Jo P.")
        live = await change_level(platform, jo, LevelOfCare.RESIDENTIAL)
        await reached(census, live)

    positions = [position for position, _ in census.applied]
    assert positions == sorted(set(positions))  # in stream order, each once
    assert census.skipped == 0
    seen = [(type(event), event.client_id) for _, event in census.applied]
    assert seen == [
        (ClientEnrolled, alex),
        (ClientEnrolled, sam),
        (LevelOfCareChanged, alex),
        (LevelOfCareChanged, sam),
        (LevelOfCareChanged, alex),
        (ClientEnrolled, jo),
        (LevelOfCareChanged, jo),
    ]
    assert census.by_level() == {
        ("OTP", LevelOfCare.INTENSIVE_OUTPATIENT): 1,
        ("OTP", LevelOfCare.OUTPATIENT): 1,
        ("OTP", LevelOfCare.RESIDENTIAL): 1,
    }


async def test_a_restart_resumes_and_a_consumer_made_again_changes_nothing(
    platform: Platform, servers: Servers
) -> None:
    alex, _ = await enroll(platform, "Alex R.")
    first = await change_level(platform, alex, LevelOfCare.RESIDENTIAL)
    census = Census()
    async with census_running(platform, servers, census):
        await reached(census, first)

    # Stopped, then started again: the durable consumer resumes after its last ack.
    sam, _ = await enroll(platform, "Sam K.")
    second = await change_level(platform, sam, LevelOfCare.OUTPATIENT)
    async with census_running(platform, servers, census):
        await reached(census, second)
    assert census.skipped == 0
    assert len(census.applied) == 4

    # The consumer is lost (deleted by an operator, expired): made again, it delivers the
    # stream from its first message, and the census skips every position it has.
    js = platform.broker.connection.jetstream()
    await js.delete_consumer(platform.settings.stream_name, DURABLE)
    before = census.by_level()
    async with census_running(platform, servers, census):
        await until(lambda: census.skipped >= 4)
    assert census.skipped == 4
    assert len(census.applied) == 4
    assert census.by_level() == before


async def test_an_event_that_fails_is_delivered_again_before_any_after_it(
    platform: Platform, servers: Servers
) -> None:
    alex, _ = await enroll(platform, "Alex R.")
    await change_level(platform, alex, LevelOfCare.RESIDENTIAL)
    last = await change_level(platform, alex, LevelOfCare.OUTPATIENT)
    census = FailsOnce()
    async with census_running(platform, servers, census):
        await reached(census, last)

    assert census.failed_at is not None
    assert [type(event) for _, event in census.applied] == [
        ClientEnrolled,
        LevelOfCareChanged,
        LevelOfCareChanged,
    ]
    assert census.applied[1][0] == census.failed_at
    assert census.by_level() == {("OTP", LevelOfCare.OUTPATIENT): 1}


async def test_an_enrolment_published_late_is_counted_and_holds_nothing_behind_it(
    platform: Platform, servers: Servers
) -> None:
    """An enrolment the relay set aside reaches the stream after its client's level of care
    (``carecoord relay --republish-parked``): skipped as a repeat for its lower position it
    was lost, and the level of care before it was refused for ever, holding every event."""
    held, head = await set_aside_as_too_large(platform)
    stored = [item.event for item in platform.store.read(0, head)]
    [alex] = [event.client_id for event in stored if isinstance(event, ClientEnrolled)]
    await platform.broker.connection.jetstream().update_stream(held)
    await change_level(platform, alex, LevelOfCare.RESIDENTIAL)
    _, last = await enroll(platform, "Sam K.")
    await relayed(platform, last)
    relay = platform.relay
    assert relay is not None

    census = Census()
    async with census_running(platform, servers, census):
        await reached(census, last)
        assert census.by_level() == {("OTP", "unknown"): 1}  # Sam: Alex's enrolment not yet
        await republish_parked(relay, platform.pool, platform.store)
        await until(lambda: alex in census.programs)

    assert census.skipped == 0
    assert census.by_level() == {("OTP", LevelOfCare.RESIDENTIAL): 1, ("OTP", "unknown"): 1}
