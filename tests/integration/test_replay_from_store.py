"""A new subscriber whose stream no longer holds the first events (retention shorter than the
history): it reads the history from a JSON Lines export of the store, then follows the
stream from its first message, applying each position once (docs/events.md, "Reading the
whole history")."""

from __future__ import annotations

import asyncio
import json

from nats.js.api import StreamConfig
from test_downstream_census import census_running, change_level, enroll, reached, relayed

from carecoord.events import Actor, ClientEnrolled, Role, catalog
from carecoord.events.care import LevelOfCare, LevelOfCareChanged
from carecoord.examples.census import COUNTED, Census
from carecoord.projections.audit.export import ClientRecord, as_jsonl
from carecoord.projections.audit.history import client_history, program_clients
from carecoord.services.kernel.policy import Standing, decide
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

AUDITOR = Actor(id="census-seed", role=Role.AUDITOR)


def export(platform: Platform, program: str) -> str:
    """What ``carecoord audit export --program P --format jsonl`` prints."""
    store, grant = platform.store, decide(AUDITOR.role, Standing())
    records = [
        ClientRecord.shown(c, client_history(store, c), grant, AUDITOR)
        for c in program_clients(store, program)
    ]
    return as_jsonl(records)


def seed(census: Census, lines: str) -> None:
    """Apply an export's lines as the census applies messages: by type, with the position."""
    for text in lines.splitlines():
        body = json.loads(text)
        position = body.pop("position")
        event = catalog.decode(body["type"], json.dumps(body).encode())
        if isinstance(event, COUNTED):
            census.apply(position, event)
        else:
            census.pass_over(position)


async def test_history_from_the_store_then_the_stream_once_each(
    platform: Platform, servers: Servers
) -> None:
    alex, _ = await enroll(platform, "Alex R.")
    await change_level(platform, alex, LevelOfCare.RESIDENTIAL)
    sam, _ = await enroll(platform, "Sam K.")
    last = await change_level(platform, sam, LevelOfCare.OUTPATIENT)
    await relayed(platform, last)
    # The stream's retention drops the oldest messages: only the last two remain.
    js = platform.broker.connection.jetstream()
    await js.purge_stream(platform.settings.stream_name, keep=2)
    config: StreamConfig = (await js.stream_info(platform.settings.stream_name)).config
    assert config.max_age in (None, 0)  # carecoord's own stream keeps everything by default

    census = Census()
    seed(census, await asyncio.to_thread(export, platform, "OTP"))
    assert census.position == last
    async with census_running(platform, servers, census):
        jo, _ = await enroll(platform, "Jo P.")
        live = await change_level(platform, jo, LevelOfCare.RESIDENTIAL)
        await reached(census, live)  # in stream order: the two retained ones came first

    positions = [position for position, _ in census.applied]
    assert positions == sorted(set(positions))
    assert census.skipped == 2
    assert [(type(e), e.client_id) for _, e in census.applied] == [
        (ClientEnrolled, alex),
        (LevelOfCareChanged, alex),
        (ClientEnrolled, sam),
        (LevelOfCareChanged, sam),
        (ClientEnrolled, jo),
        (LevelOfCareChanged, jo),
    ]
