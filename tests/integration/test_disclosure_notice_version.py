"""A disclosure the forwarder intended under an earlier 42 CFR 2.32 notice, sent again after
the notice changed: it goes with the notice its intent recorded and that notice's version,
as its disclosure records it. It went with the current text, though the accounting said the
earlier one went."""

from __future__ import annotations

import asyncio

import pytest
from nats.aio.msg import Msg
from test_probe_disclosure import RECIPIENT, consenting_to_the_recipient, forwarded_through

from carecoord.events import Actor, Role
from carecoord.events.access import DisclosureRecorded
from carecoord.events.care import ClientEnrolled
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.consent import record
from carecoord.services.consent.commands import disclose_events
from carecoord.services.consent.notice import NOTICES
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.disclosure import NOTICE_HEADER, NOTICE_VERSION_HEADER

EARLIER = "2.32-2024"
FORWARDER = Stamp(Actor(id=f"disclose-{RECIPIENT}", role=Role.SYSTEM))


async def test_an_intent_under_an_earlier_notice_goes_with_that_notice(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await consenting_to_the_recipient(platform)
    [enrolment] = [p for p in platform.store.read(0, 100) if isinstance(p.event, ClientEnrolled)]
    with monkeypatch.context() as earlier:
        earlier.setattr(record, "REDISCLOSURE_NOTICE", NOTICES[EARLIER])
        await platform.bus.execute(
            disclose_events(
                FORWARDER,
                client_id=client,
                recipient=Recipient(type=RecipientType.ORGANIZATION, id=RECIPIENT, name="Acme"),
                events=[enrolment],
                destination="interrupted",
            )
        )
    got: list[Msg] = []

    async def received(msg: Msg) -> None:
        got.append(msg)

    nc = platform.broker.connection
    sub = await nc.subscribe(f"{platform.settings.disclosure_root}.{RECIPIENT}.>", cb=received)
    try:
        await forwarded_through(platform, await asyncio.to_thread(platform.store.last_position))
        await nc.flush()
    finally:
        await sub.unsubscribe()

    [sent] = got
    assert (sent.headers or {})[NOTICE_HEADER] == NOTICES[EARLIER]
    assert (sent.headers or {})[NOTICE_VERSION_HEADER] == EARLIER
    [recorded] = [
        p.event for p in platform.store.read(0, 100) if isinstance(p.event, DisclosureRecorded)
    ]
    assert recorded.notice == NOTICES[EARLIER]
