"""A command on a record holding an event of a later release (recorded by it, then rolled
back) is refused as unavailable, naming the record and the rule: it was an internal error,
as if the platform were broken, and nothing is recorded on the record meanwhile."""

from __future__ import annotations

import psycopg
import pytest

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.checkins.commands import record_check_in
from carecoord.services.checkins.record import CheckIn
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import Unavailable
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))
LATER_RELEASE = (
    f"UPDATE {TABLE} SET state = convert_to(jsonb_set(convert_from(state, 'UTF8')::jsonb,"
    " '{schema_version}', '99')::text, 'UTF8') WHERE notification_id = %s"
)


async def test_a_command_on_a_record_of_a_later_release_is_unavailable(
    platform: Platform,
) -> None:
    enrolled = await platform.bus.execute(
        enroll_client(ADMIN, display_name="Rory Later", program="OTP")
    )
    client_id = enrolled.result
    with psycopg.connect(platform.database_url, autocommit=True) as conn, conn.transaction():
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
        conn.execute(LATER_RELEASE, (enrolled.position,))
        conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ALL")
    platform.store.evict(aggregate_id("care", client_id))  # as a process started afresh
    head = platform.store.last_position()

    with pytest.raises(Unavailable) as refused:
        await platform.bus.execute(
            record_check_in(
                NURSE, client_id=client_id, check_in=CheckIn(craving=3),
                rules=platform.alert_rules,
            )
        )  # fmt: skip

    assert (refused.value.field, refused.value.rule) == ("clientId", "record-of-later-release")
    assert "Rory" not in str(refused.value)
    assert platform.store.last_position() == head
