"""An auditor asking about a record someone altered in the database is told where, as a
refusal naming the position or entry (``DATA_LOSS``), and the attempt is logged as a read
returning none. A stored event altered into one that does not decode made ``accessAsOf``
and ``exportClientRecord`` answer ``INTERNAL_SERVER_ERROR`` with a reference alone, and a
logged read altered so refused a FHIR export telling the auditor to "read on with after",
an argument the export does not take; neither attempt was in the access log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from test_access import ENROLL, TIMELINE
from test_access_log_chain import tamper as tamper_log
from test_client_record_verification import tamper

from carecoord.events import Role
from carecoord.services.infrastructure.event_chain import TABLE
from support import Api

NAME = "Quincy Altered"
DROP_PROGRAM = (
    f"UPDATE {TABLE} SET state = convert_to((convert_from(state, 'UTF8')::jsonb - 'program')"
    "::text, 'UTF8') WHERE notification_id = %s"
)
AS_OF = """query($id: UUID!, $at: DateTime!) {
  accessAsOf(userId: "nurse-1", role: NURSE, clientId: $id, at: $at) { grant { basis } } }"""
EXPORT = """query($id: UUID!, $format: ExportFormat!) {
  exportClientRecord(clientId: $id, format: $format) { events } }"""
AUDITOR: dict[str, Any] = {"role": Role.AUDITOR, "user": "auditor-1"}


def refusal_of(body: dict[str, Any]) -> dict[str, Any]:
    [error] = body["errors"]
    assert NAME not in error["message"]
    found: dict[str, Any] = error["extensions"]
    return {**found, "message": error["message"]}


async def enrolled(api: Api) -> tuple[str, int]:
    """A client's id and the position of their enrolment."""
    data = await api.ok(
        ENROLL, {"input": {"displayName": NAME, "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    return str(data["enrollClient"]["id"]), int(data["enrollClient"]["position"])


def logged(api: Api, client_id: str, operation: str) -> list[tuple[int, str, int]]:
    """The client's entries of ``operation``, read from the table: the log's own query
    stops at an entry that does not read as one."""
    with psycopg.connect(api.platform.database_url) as conn:
        rows = conn.execute(
            "SELECT seq, outcome, (event->>'entries_returned')::int FROM access_log"
            " WHERE client_id = %s AND operation = %s ORDER BY seq",
            (client_id, operation),
        ).fetchall()
    return [(int(seq), str(outcome), int(count)) for seq, outcome, count in rows]


async def test_an_event_that_no_longer_decodes_is_named_by_its_position(api: Api) -> None:
    client_id, position = await enrolled(api)
    await api.join_care_team(client_id, Role.NURSE)
    tamper(api, DROP_PROGRAM, position)
    at = datetime.now(UTC).isoformat()

    as_of = refusal_of(await api.gql(AS_OF, {"id": client_id, "at": at}, **AUDITOR))
    export = refusal_of(await api.gql(EXPORT, {"id": client_id, "format": "JSONL"}, **AUDITOR))

    for refused in (as_of, export):
        assert refused["code"] == "DATA_LOSS", refused
        assert (refused["field"], refused["rule"]) == ("clientId", "event-unreadable")
        assert refused["position"] == position
        assert f"the event at position {position} does not decode" in refused["message"]
    assert [row[1:] for row in logged(api, client_id, "accessAsOf")] == [("granted", 0)]
    assert [row[1:] for row in logged(api, client_id, "exportClientRecord")] == [("granted", 0)]


async def test_a_logged_read_that_no_longer_reads_as_one_is_named_to_a_fhir_export(
    api: Api,
) -> None:
    client_id, _ = await enrolled(api)
    joined = await api.join_care_team(client_id, Role.NURSE)
    await api.ok(TIMELINE, {"id": client_id, "atLeast": joined}, role=Role.NURSE)
    [(seq, _, _)] = logged(api, client_id, "clientTimeline")
    tamper_log(api, "UPDATE access_log SET event = event - 'actor' WHERE seq = %s", seq)

    fhir = refusal_of(await api.gql(EXPORT, {"id": client_id, "format": "FHIR"}, **AUDITOR))
    jsonl = await api.ok(EXPORT, {"id": client_id, "format": "JSONL"}, **AUDITOR)

    assert fhir["code"] == "DATA_LOSS", fhir
    assert (fhir["field"], fhir["rule"], fhir["seq"]) == ("format", "entry-unreadable", seq)
    assert f"access-log entry {seq}, a read of client {client_id}'s" in fhir["message"]
    assert "after" not in fhir["message"]
    assert jsonl["exportClientRecord"]["events"] == 2  # no reads in it: still made
    exports = [row[1:] for row in logged(api, client_id, "exportClientRecord")]
    assert exports == [("granted", 0), ("granted", 2)]
