"""The disclosure forwarder when the broker does not confirm what it published (a broker or
a network gone quiet for longer than the flush's ten seconds): the forwarder ended with
``FlushTimeoutError``, taking ``carecoord disclose`` down, and nothing more was disclosed until
someone started it again. It goes on as a restart would: the intent it could not record sent
is sent again under the same message id, then recorded sent, and what follows goes too."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from uuid import UUID

import nats.errors
import pytest
from nats.aio.msg import Msg
from test_probe_disclosure import consenting_to_the_recipient

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import DisclosureIntended, DisclosureRecorded
from carecoord.events.checkins import CheckInRecorded
from carecoord.services.checkins.commands import record_check_in
from carecoord.services.checkins.record import CheckIn
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.disclosure import Forwarder

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))


async def checked_in(platform: Platform, client: UUID, craving: int) -> int:
    done = await platform.bus.execute(
        record_check_in(
            NURSE, client_id=client, check_in=CheckIn(craving=craving), rules=platform.alert_rules
        )
    )
    return done.position


async def test_a_publish_the_broker_did_not_confirm_is_sent_again_and_the_rest_go_on(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipient = f"probe-{uuid.uuid4().hex[:12]}"  # the outbound subjects are not the test's own
    client = await consenting_to_the_recipient(platform, recipient, Kind.CHECK_IN)
    nc = platform.broker.connection
    confirm = nc.flush
    unconfirmed = [nats.errors.FlushTimeoutError()]

    async def flush(timeout: int = 10) -> None:
        if unconfirmed:
            raise unconfirmed.pop()
        await confirm(timeout)

    received: list[Msg] = []

    async def collect(msg: Msg) -> None:
        received.append(msg)

    inbox = await nc.subscribe(f"{platform.settings.disclosure_root}.{recipient}.>", cb=collect)
    forwarder = Forwarder(platform, recipient, from_start=True)
    running = asyncio.create_task(forwarder.run())
    try:
        async with asyncio.timeout(20):
            await forwarder.reached(await asyncio.to_thread(platform.store.last_position))
            monkeypatch.setattr(nc, "flush", flush)
            first = await checked_in(platform, client, 30)
            await forwarder.reached(first)
            second = await checked_in(platform, client, 40)
            await forwarder.reached(second)
        assert not running.done(), "the forwarder stopped"
        await confirm()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await inbox.unsubscribe()

    stored = [p.event for p in platform.store.read(0, 1000)]
    check_ins = [e.event_id for e in stored if isinstance(e, CheckInRecorded)]
    intents = [e for e in stored if isinstance(e, DisclosureIntended)]
    recorded = [e for e in stored if isinstance(e, DisclosureRecorded)]
    assert [i.event_ids for i in intents] == [(c,) for c in check_ins]  # each intended once
    assert {r.disclosure_id for r in recorded} == {i.disclosure_id for i in intents}
    ids = [(m.headers or {}).get("Nats-Msg-Id") for m in received]
    # The first went out unconfirmed and again under its id; the second once.
    assert ids == [f"{recipient}:{check_ins[0]}"] * 2 + [f"{recipient}:{check_ins[1]}"]
