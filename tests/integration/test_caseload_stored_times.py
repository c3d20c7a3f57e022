"""The caseload over sessions booked before times were held to the offsets in use: an older,
laxer version stored a booking at +20:00, which PostgreSQL's own timestamptz cannot read."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from undecodable import store_a_changed_copy

from carecoord.events import Actor, Role
from carecoord.events.therapy import Modality, SessionFormat
from carecoord.projections import caseload, timeline
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.therapy.commands import schedule_session

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
THERAPIST = Stamp(Actor(id="ther-1", role=Role.THERAPIST))


async def test_a_booking_stored_at_an_offset_postgresql_lacks_still_counts(
    platform: Platform,
) -> None:
    bus = platform.bus
    client_id = (await bus.execute(enroll_client(ADMIN, display_name="Ana", program="OTP"))).result
    await bus.execute(
        assign_member(ADMIN, client_id=client_id, member_id="ther-1", role=Role.THERAPIST)
    )
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    booked = await bus.execute(
        schedule_session(
            THERAPIST,
            client_ids=[client_id],
            modality=Modality.CBT,
            format=SessionFormat.INDIVIDUAL,
            scheduled_for=soon + timedelta(days=1),
            planned_minutes=50,
        )
    )
    # Another booking, as the laxer version wrote it: `soon` in UTC, written 20 hours ahead.
    at_plus_20 = (soon + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%S+20:00")
    copied = await asyncio.to_thread(
        store_a_changed_copy,
        platform,
        {"scheduled_for": at_plus_20, "session_id": "00000000-0000-4000-8000-000000000001"},
        booked.position,
    )
    assert await platform.progress.reach(timeline.NAME, copied, 10)

    [line] = await caseload.of_member(
        platform.pool,
        "ther-1",
        Role.THERAPIST,
        severity_order=[],
        today=date.today(),
        zone="UTC",
        missed_from=date.today(),
        check_in_every=timedelta(days=7),
    )
    assert line["upcoming"] == 2
    assert line["next_session"] == soon
