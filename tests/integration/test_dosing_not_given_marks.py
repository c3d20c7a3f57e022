"""The dosing view on PostgreSQL: a dose not given names itself by its event's id, its mark
names it so, and the view's own condition for a missed day (``unexplained``, which the
caseload and ``clientDosing`` count by) no longer takes it as the day's explanation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from psycopg import sql

from carecoord.events import Actor, Role, Schedule
from carecoord.events.medication import NotGivenReason
from carecoord.projections import dosing
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands
from carecoord.services.medication.dispensing import NotGiven, NotGivenInError
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
DOCTOR = Stamp(Actor(id="dr-1", role=Role.PRESCRIBER))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))
SWEEP = Stamp(Actor(id="missed-dose-sweep", role=Role.SYSTEM))

MISSED = sql.SQL(
    "SELECT d.day FROM {view} d WHERE d.client_id = %s AND d.status = 'missed' AND {unexplained}"
    " ORDER BY d.day"
).format(view=sql.Identifier(dosing.NAME), unexplained=dosing.unexplained("d"))


async def unexplained_days(platform: Platform, client_id: UUID, position: int) -> list[date]:
    assert await platform.progress.reach(dosing.NAME, position, 10)
    async with platform.pool.connection() as conn:
        cur = await conn.execute(MISSED, (client_id,))
        return [row[0] for row in await cur.fetchall()]


async def test_a_marked_dose_not_given_no_longer_explains_its_missed_day(
    platform: Platform, today: date
) -> None:
    bus, rules = platform.bus, platform.medication
    enrolled = datetime.now(UTC) - timedelta(days=30)
    client_id = (
        await bus.execute(
            enroll_client(ADMIN, display_name="Ana", program="OTP", occurred_at=enrolled)
        )
    ).result
    first, last = today - timedelta(days=2), today - timedelta(days=1)
    order = NewOrder("methadone", Decimal(40), "mg", "oral", Schedule(), first)
    prescribed = await bus.execute(
        commands.prescribe(DOCTOR, client_id=client_id, order=order, rules=rules)
    )
    await bus.execute(
        commands.detect_missed_doses(SWEEP, client_id=client_id, today=today, rules=rules)
    )
    late = NotGiven(
        prescribed.result.id, NotGivenReason.DECLINED,
        occurred_at=datetime.combine(last, time(12), tzinfo=rules.zone),
    )  # fmt: skip
    recorded = await bus.execute(
        commands.record_dose_not_given(NURSE, client_id=client_id, not_given=late, rules=rules)
    )
    entry = recorded.result.entry_id
    assert recorded.event_ids == (entry,), "the entry's id is its event's"
    assert await unexplained_days(platform, client_id, recorded.position) == [first]

    marked = await bus.execute(
        commands.mark_not_given_entered_in_error(
            NURSE, client_id=client_id, in_error=NotGivenInError(entry, "wrong client"), rules=rules
        )
    )

    assert await unexplained_days(platform, client_id, marked.position) == [first, last]
    rows = await dosing.of_client(platform.reads, client_id, last, last)
    assert [(r["status"], r["ref_id"]) for r in rows] == [
        (dosing.MISSED, None),
        (dosing.NOT_GIVEN, entry),
        (dosing.NOT_GIVEN_IN_ERROR, entry),
    ]
