"""``verifyClientRecord`` of a store whose chain's columns were dropped (triggers and all,
as a database superuser could) reports the record not intact, its first event's hash
removed, as ``audit verify`` does. Before, the query failed with an internal error: it
named the dropped columns."""

from __future__ import annotations

import psycopg
from test_access import enroll
from test_client_record_verification import verification

from carecoord.events import Role
from carecoord.services.infrastructure.event_chain import TABLE
from support import Api


async def test_a_store_without_its_chain_columns_is_not_intact(api: Api) -> None:
    await enroll(api, "Before C.")  # a row before the client's, without its hash too
    client_id = await enroll(api)
    position = await api.join_care_team(client_id, Role.NURSE)
    assert (await verification(api, client_id))["intact"] is True
    with psycopg.connect(api.platform.database_url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {TABLE} DROP COLUMN hash CASCADE, DROP COLUMN prev_hash")

    found = await verification(api, client_id)

    assert (found["intact"], found["eventsChecked"], found["lastPosition"]) == (False, 2, position)
    broken = found["broken"]
    assert (broken["position"], broken["verdict"]) == (found["firstPosition"], "ALTERED")
    assert broken["message"].endswith("had its hash removed")
