"""A store numbered past 2,147,483,647 is written and read as before. Its positions are a
bigint's, one for every event ever recorded, so a long-lived store gets there; GraphQL's
``Int`` stops there, and past it every mutation's answer (``position``) was a validation
error though the event was recorded, ``atLeast`` could not name it, and every entry's
``position`` failed the read. The access log's seq past it went into an AuditEvent as a
``valueInteger``, which no FHIR ``integer`` holds."""

from __future__ import annotations

import psycopg
from test_access import TIMELINE, enroll
from test_access_log_chain import AUDITOR
from test_client_record_verification import verification

from carecoord.events import Role
from support import Api

PAST_INT = 2**31 + 10
AS_OF = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 50) {
    projectedPosition edges { node { position type } } } }"""
EVENTS = """query($after: Seq!) { accessLogAuditEvents(after: $after, first: 10) }"""


def restart_at(api: Api, sequence: str) -> None:
    with psycopg.connect(api.platform.database_url, autocommit=True) as conn:
        conn.execute("SELECT setval(%s, %s)", (sequence, PAST_INT))


async def test_events_recorded_past_a_32_bit_int_are_answered_waited_for_and_read(
    api: Api,
) -> None:
    restart_at(api, "carecoord_events_notification_id_seq")
    client_id = await enroll(api)
    joined = await api.join_care_team(client_id, Role.NURSE)

    found = await api.ok(AS_OF, {"id": client_id, "atLeast": joined}, role=Role.NURSE)
    verified = await verification(api, client_id)

    timeline = found["clientTimeline"]
    assert joined > PAST_INT + 1
    assert timeline["projectedPosition"] >= joined
    assert all(e["node"]["position"] > PAST_INT for e in timeline["edges"])
    assert timeline["edges"], "the enrolment is on the timeline"
    assert verified["intact"] is True
    assert verified["firstPosition"] == PAST_INT + 1
    assert verified["lastPosition"] == joined


async def test_an_access_log_entry_past_a_fhir_integer_is_exported_as_a_decimal(
    api: Api,
) -> None:
    client_id = await enroll(api)
    joined = await api.join_care_team(client_id, Role.NURSE)
    await api.ok(TIMELINE, {"id": client_id, "atLeast": joined}, role=Role.NURSE)
    restart_at(api, "access_log_seq_seq")
    await api.ok(TIMELINE, {"id": client_id, "atLeast": joined}, role=Role.NURSE)

    exported = (await api.ok(EVENTS, {"after": 0}, **AUDITOR))["accessLogAuditEvents"]

    seqs = [next(p for p in e["extension"][0]["extension"] if p["url"] == "seq") for e in exported]
    assert {"url": "seq", "valueDecimal": PAST_INT + 1} in seqs
    assert all("valueInteger" in s for s in seqs if "valueDecimal" not in s)
    assert any("valueInteger" in s for s in seqs)
