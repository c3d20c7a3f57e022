"""The accounting of disclosures as the read model keeps it, against real PostgreSQL: one
row per disclosure, an intent moved on to sent or withdrawn in place, one recorded by hand
sent from the start."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID

from carecoord.events import Actor, Kind, Role
from carecoord.events.consent import Recipient, RecipientType
from carecoord.events.positioned import Positioned
from carecoord.projections import disclosures
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.consent.commands import (
    disclose_events,
    interrupted_disclosures,
    record_consent,
    record_disclosure,
    record_sent,
    revoke_consent,
)
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
FORWARDER = Stamp(Actor(id="disclose-clinic_north", role=Role.SYSTEM))
CLINIC = Recipient(type=RecipientType.ORGANIZATION, id="clinic_north", name="North Clinic")
T = TypeVar("T")


async def run(platform: Platform, command: Command[T]) -> T:
    """Execute ``command``; its result, once the view has what it recorded."""
    done = await platform.bus.execute(command)
    assert await platform.progress.reach(disclosures.NAME, done.position, 10)
    return done.result


async def stored(platform: Platform, client_id: UUID) -> list[Positioned]:
    """The client's events in the store, in order."""
    every = await asyncio.to_thread(platform.store.read, 0, 1000)
    return [p for p in every if p.event.client_id == client_id]


async def intend(platform: Platform, client_id: UUID, event: Positioned) -> UUID:
    """The forwarder's intent to send ``event`` to the clinic; its disclosure id."""
    [intent] = await run(
        platform,
        disclose_events(
            FORWARDER, client_id=client_id, recipient=CLINIC, events=[event], destination="N"
        ),
    )
    return intent.disclosure_id


def picked(row: Mapping[str, object], *names: str) -> tuple[object, ...]:
    return tuple(row[n] for n in names)


async def rows(platform: Platform, client_id: UUID) -> dict[UUID, disclosures.Disclosure]:
    found = await disclosures.of_client(platform.pool, client_id, None, first=100)
    return {r["disclosure_id"]: r for r in found}


async def test_an_intent_is_sent_or_withdrawn_in_place_and_one_by_hand_is_sent(
    platform: Platform,
) -> None:
    client_id = await run(platform, enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    consent_id = await run(
        platform,
        record_consent(
            ADMIN, client_id=client_id, recipients=(CLINIC,), purpose="coordination",
            data_kinds=(Kind.CARE,), signed_on=datetime.now(UTC).date(), signed_by="Sam K.",
            expiry_event="end of treatment",
        ),
    )  # fmt: skip
    await run(
        platform, assign_member(ADMIN, client_id=client_id, member_id="nurse-1", role=Role.NURSE)
    )
    enrolled, _, assigned = await stored(platform, client_id)

    went = await intend(platform, client_id, enrolled)
    in_flight = (await rows(platform, client_id))[went]
    await run(platform, record_sent(FORWARDER, client_id=client_id, disclosure_ids=[went]))
    by_hand = (
        await run(
            platform,
            record_disclosure(
                ADMIN, client_id=client_id, recipient=CLINIC, purpose=" Coordination",
                data_kinds=(Kind.CARE,), description="the intake summary",
                consent_id=consent_id,
            ),
        )
    ).id  # fmt: skip
    stopped = await intend(platform, client_id, assigned)
    await run(platform, revoke_consent(ADMIN, client_id=client_id, consent_id=consent_id))
    await run(platform, interrupted_disclosures(FORWARDER, client_id=client_id, recipient=CLINIC))

    found = await rows(platform, client_id)
    assert list(found) == [went, by_hand, stopped]  # in the order first recorded
    sent, hand, withdrawn = found[went], found[by_hand], found[stopped]
    assert (in_flight["status"], in_flight["sent_at"]) == ("intended", None)
    # The row the intent made, moved on: its first record's position, time and terms.
    assert sent == in_flight | {"status": "sent", "sent_at": sent["sent_at"]}
    assert sent["sent_at"] is not None
    assert picked(sent, "recorded_by", "event_count", "consent_id", "withdrawn_at") == (
        "disclose-clinic_north", 1, consent_id, None,
    )  # fmt: skip
    assert picked(sent, "recipient_type", "recipient_id", "recipient_name") == (
        "organization", "clinic_north", "North Clinic",
    )  # fmt: skip
    assert picked(sent, "purpose", "data_kinds") == ("coordination", ["care"])
    assert picked(hand, "status", "event_count", "recorded_by", "purpose", "description") == (
        "sent", 0, "admin-1", "coordination", "the intake summary",
    )  # fmt: skip
    assert picked(hand, "consent_id", "break_glass_id") == (consent_id, None)
    assert hand["sent_at"] == hand["recorded_at"]
    assert picked(withdrawn, "status", "sent_at", "withdrawn_reason") == (
        "withdrawn", None, "the consent it relied on was no longer in force",
    )  # fmt: skip
    assert withdrawn["withdrawn_at"] is not None

    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await disclosures.of_client(platform.pool, client_id, later, first=100) == []
    since = withdrawn["recorded_at"]
    assert [
        r["disclosure_id"]
        for r in await disclosures.of_client(platform.pool, client_id, since, first=100)
    ] == [stopped]
