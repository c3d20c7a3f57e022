"""An auditor checks one client's events against the store's hash chain through the API;
the check is a read of the record, logged like any other, refused for other roles."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import psycopg
from test_access import access_log, enroll, refusal

from carecoord.events import Role
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.kernel.aggregate import aggregate_id
from support import Api

VERIFY = """query($id: UUID!) { verifyClientRecord(clientId: $id) {
  intact chain clientId eventsChecked firstPosition lastPosition
  broken { position verdict message expected found aggregateId version eventType
           relatedPosition } } }"""
AUDITOR = {"role": Role.AUDITOR, "user": "auditor-1"}


async def verification(api: Api, client_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.ok(VERIFY, {"id": client_id}, **AUDITOR))[
        "verifyClientRecord"
    ]
    return found


def tamper(api: Api, statement: str, *params: object) -> None:
    with psycopg.connect(api.platform.database_url, autocommit=True) as conn, conn.transaction():
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
        conn.execute(statement, params)
        conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ALL")


async def test_an_auditor_verifies_a_clients_events_and_the_check_is_logged(api: Api) -> None:
    client_id = await enroll(api)
    other = await enroll(api, "Sam K.")
    await api.join_care_team(client_id, Role.NURSE)

    found = await verification(api, client_id)

    assert found["intact"] is True
    assert found["chain"] == "event-sha256-v1"
    assert found["clientId"] == client_id
    assert found["eventsChecked"] == 2  # the enrolment and the care-team assignment
    assert found["broken"] is None
    assert (await verification(api, other))["eventsChecked"] == 1
    logged = [e for e in await access_log(api, client_id) if e["operation"] == "verifyClientRecord"]
    assert [(e["readerRole"], e["outcome"], e["entriesReturned"]) for e in logged] == [
        ("auditor", "GRANTED", 2)
    ]


async def test_an_altered_event_of_the_client_is_named(api: Api) -> None:
    client_id = await enroll(api)
    position = await api.join_care_team(client_id, Role.NURSE)
    await enroll(api, "After T.")  # an event of someone else after it

    tamper(
        api,
        f"UPDATE {TABLE} SET state = state || 'x'::bytea WHERE notification_id = %s",
        position,
    )
    found = await verification(api, client_id)

    assert found["intact"] is False
    broken = found["broken"]
    assert (broken["position"], broken["verdict"]) == (position, "ALTERED")
    assert broken["version"] == 1
    assert broken["eventType"] == "careteam.CareTeamMemberAssigned"
    assert broken["expected"] != broken["found"]


async def test_a_deleted_event_of_the_client_is_named(api: Api) -> None:
    client_id = await enroll(api)
    first = await api.join_care_team(client_id, Role.NURSE)
    await api.join_care_team(client_id, Role.PRESCRIBER)
    await enroll(api, "After T.")

    tamper(api, f"DELETE FROM {TABLE} WHERE notification_id = %s", first)
    found = await verification(api, client_id)

    broken = found["broken"]
    assert broken["verdict"] == "DELETED"
    assert broken["position"] == first + 1  # the assignment after it: version 2 follows none
    assert broken["version"] == 2
    team = aggregate_id("careteam", UUID(client_id))
    assert broken["aggregateId"] == str(team)


async def test_a_deleted_enrolment_with_no_event_of_the_client_beside_it_is_named(
    api: Api,
) -> None:
    client_id = await enroll(api)
    await enroll(api, "Next T.")  # the event after the enrolment is someone else's
    first_of_theirs = await api.join_care_team(client_id, Role.NURSE)
    enrolment = aggregate_id("care", UUID(client_id))

    tamper(api, f"DELETE FROM {TABLE} WHERE originator_id = %s", enrolment)
    found = await verification(api, client_id)

    assert found["intact"] is False
    broken = found["broken"]
    assert broken["verdict"] == "DELETED"
    assert broken["position"] == first_of_theirs
    assert (broken["aggregateId"], broken["version"]) == (str(enrolment), 1)


async def test_a_client_with_no_stored_event_is_not_found_rather_than_intact(api: Api) -> None:
    unknown = str(uuid4())

    refused = await refusal(api, VERIFY, {"id": unknown}, **AUDITOR)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "NOT_FOUND",
        "clientId",
        "unknown-client",
    )


async def test_other_roles_are_refused_and_the_refusal_is_logged(api: Api) -> None:
    client_id = await enroll(api)
    await api.join_care_team(client_id, Role.NURSE)

    refused = await refusal(api, VERIFY, {"id": client_id}, role=Role.NURSE)

    assert (refused["code"], refused["rule"]) == ("FORBIDDEN", "role-may-read")
    logged = [e for e in await access_log(api, client_id) if e["operation"] == "verifyClientRecord"]
    assert [(e["readerRole"], e["outcome"], e["refusal"]) for e in logged] == [
        ("nurse", "REFUSED", "role-may-read")
    ]
