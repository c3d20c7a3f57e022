"""A check-in falls due at the local time it was last taken, a week on, across a change of
the clocks: a week was 168 hours, and a client checked in at 17:00 before the clocks went
back was due at 16:00 after."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from carecoord.events import Actor, Role
from carecoord.projections import caseload, timeline
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.checkins.commands import record_check_in
from carecoord.services.checkins.record import CheckIn
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BEFORE_FALL_BACK = datetime(2026, 10, 30, 17, 0, tzinfo=LOS_ANGELES)
"""A Friday at 17:00 (PDT); the clocks go back on Sunday 1 November."""


def at(moment: datetime, who: str, role: Role) -> Stamp:
    return Stamp(Actor(id=who, role=role), zone=LOS_ANGELES, clock=lambda: moment)


async def test_a_check_in_is_due_a_week_on_at_the_same_local_time(platform: Platform) -> None:
    admin = at(BEFORE_FALL_BACK - timedelta(hours=1), "admin-1", Role.PROGRAM_ADMIN)
    nurse = at(BEFORE_FALL_BACK, "nurse-1", Role.NURSE)
    bus = platform.bus
    client = (await bus.execute(enroll_client(admin, display_name="Ana", program="OTP"))).result
    await bus.execute(assign_member(admin, client_id=client, member_id="nurse-1", role=Role.NURSE))
    done = await bus.execute(
        record_check_in(
            nurse, client_id=client, check_in=CheckIn(craving=3), rules=platform.alert_rules
        )
    )
    assert await platform.progress.reach(timeline.NAME, done.position, 10)

    [line] = await caseload.of_member(
        platform.pool,
        "nurse-1",
        Role.NURSE,
        severity_order=[],
        today=BEFORE_FALL_BACK.date(),
        zone="America/Los_Angeles",
        missed_from=BEFORE_FALL_BACK.date(),
        check_in_every=timedelta(days=7),
    )
    assert line["last_check_in"] == BEFORE_FALL_BACK
    assert line["check_in_due"] == datetime(2026, 11, 6, 17, 0, tzinfo=LOS_ANGELES)
