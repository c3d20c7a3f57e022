"""Auditors prove the record through the API: exports of a client's record or a program's
(JSON Lines, FHIR R4 checked by fhir.resources' R4B models), and what a user could see of a
client at a time, rebuilt from the event log. Each is a read of the record: access-logged,
refused ones too."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from test_access import END, access_log, refusal

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
EXPORT = """query($id: UUID!, $format: ExportFormat!) {
  exportClientRecord(clientId: $id, format: $format) { format clients events jsonLines bundle } }"""
EXPORT_PROGRAM = """query($p: String!, $from: DateTime, $format: ExportFormat!) {
  exportProgramRecord(program: $p, recordedFrom: $from, format: $format) {
    clients events jsonLines bundle } }"""
AS_OF = """query($user: String!, $role: Role!, $id: UUID!, $at: DateTime!) {
  accessAsOf(userId: $user, role: $role, clientId: $id, at: $at) {
    userId role at
    memberships { role startedAt endedAt inForce }
    consents { consentId inForce }
    breakGlassUses { accessId inForce }
    grant { basis kinds authoredKinds policyVersion }
    refusal { rule message }
    timeline { position type kind summary recordedBy { id role } } } }"""
AUDITOR = {"role": Role.AUDITOR, "user": "auditor-1"}


async def enroll(api: Api, program: str, name: str = "Jo R.") -> str:
    data = await api.ok(
        ENROLL, {"input": {"displayName": name, "program": program}}, role=Role.PROGRAM_ADMIN
    )
    return str(data["enrollClient"]["id"])


def operations(entries: list[dict[str, Any]], operation: str) -> list[tuple[str, str, int]]:
    return [
        (e["readerRole"], e["outcome"], e["entriesReturned"])
        for e in entries
        if e["operation"] == operation
    ]


async def test_an_auditor_exports_a_clients_record_and_each_export_is_logged(api: Api) -> None:
    client = await enroll(api, "OTP")
    await api.join_care_team(client, Role.NURSE)

    jsonl = (await api.ok(EXPORT, {"id": client, "format": "JSONL"}, **AUDITOR))[
        "exportClientRecord"
    ]
    fhir = (await api.ok(EXPORT, {"id": client, "format": "FHIR"}, **AUDITOR))["exportClientRecord"]

    lines = [json.loads(line) for line in jsonl["jsonLines"].splitlines()]
    assert [line["type"] for line in lines] == [
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
    ]
    assert (jsonl["clients"], jsonl["events"], jsonl["bundle"]) == (1, 2, None)
    bundle = fhir["bundle"]
    Bundle.model_validate(bundle)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds[:3] == ["Patient", "Encounter", "CareTeam"]  # the episode since enrolment
    assert "AuditEvent" in kinds  # the earlier export, read from the access log
    entries = await access_log(api, client)
    assert operations(entries, "exportClientRecord") == [
        ("auditor", "GRANTED", 2),
        ("auditor", "GRANTED", 2),
    ]


async def test_other_roles_may_not_export_and_the_refusal_is_logged(api: Api) -> None:
    client = await enroll(api, "OTP")
    await api.join_care_team(client, Role.NURSE)

    refused = await refusal(api, EXPORT, {"id": client, "format": "JSONL"}, role=Role.NURSE)

    assert (refused["code"], refused["rule"]) == ("FORBIDDEN", "role-may-export")
    assert operations(await access_log(api, client), "exportClientRecord") == [
        ("nurse", "REFUSED", 0)
    ]


async def test_a_program_admin_exports_their_program_within_their_grant(api: Api) -> None:
    program = f"North {uuid.uuid4().hex[:6]}"
    first = await enroll(api, program)
    since = datetime.now(UTC)
    second = await enroll(api, program, "Sam K.")
    await enroll(api, "Elsewhere")
    await api.join_care_team(second, Role.NURSE)
    token = issue_token(api.platform.settings, "admin-north", Role.PROGRAM_ADMIN, program=program)

    found = (
        await api.ok(
            EXPORT_PROGRAM,
            {"p": program, "from": since.isoformat(), "format": "FHIR"},
            token=token,
        )
    )["exportProgramRecord"]

    assert found["clients"] == 2  # both are the program's; only the second changed since
    Bundle.model_validate(found["bundle"])
    resources = [e["resource"] for e in found["bundle"]["entry"]]
    assert {(r["resourceType"], r["id"]) for r in resources if r["resourceType"] == "Patient"} == {
        ("Patient", second)
    }
    assert {r["resourceType"] for r in resources} <= {"Patient", "Encounter", "CareTeam", "Consent"}
    other = await refusal(api, EXPORT_PROGRAM, {"p": "Elsewhere", "format": "JSONL"}, token=token)
    assert other["rule"] == "admin-program"
    logged = operations(await access_log(api, first), "exportProgramRecord")
    assert logged == [("program_admin", "GRANTED", 0)]


async def test_a_client_the_store_does_not_hold_is_not_found_rather_than_exported_empty(
    api: Api,
) -> None:
    known, unknown = await enroll(api, "OTP"), str(uuid.uuid4())
    await api.ok(EXPORT, {"id": known, "format": "JSONL"}, **AUDITOR)

    refused = await refusal(api, EXPORT, {"id": unknown, "format": "JSONL"}, **AUDITOR)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "NOT_FOUND",
        "clientId",
        "unknown-client",
    )
    logged = operations(await access_log(api, unknown), "exportClientRecord")
    assert logged == [("auditor", "GRANTED", 0)]  # a read returning none, as any other read


async def test_a_program_export_whose_period_ends_before_it_starts_is_refused_unlogged(
    api: Api,
) -> None:
    program = f"South {uuid.uuid4().hex[:6]}"
    client = await enroll(api, program)
    swapped = """query($p: String!, $from: DateTime, $to: DateTime) {
      exportProgramRecord(program: $p, recordedFrom: $from, recordedTo: $to) { clients } }"""
    period = {"from": "2026-01-02T00:00:00Z", "to": "2026-01-02T01:00:00+01:00"}

    refused = await refusal(api, swapped, {"p": program} | period, **AUDITOR)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "BAD_USER_INPUT",
        "recordedTo",
        "period-end-after-start",
    )
    assert operations(await access_log(api, client), "exportProgramRecord") == []


async def test_what_a_nurse_could_see_before_and_after_leaving_the_team(api: Api) -> None:
    client = await enroll(api, "OTP")
    await api.join_care_team(client, Role.NURSE)
    on_team = datetime.now(UTC)
    await asyncio.sleep(0.01)
    ended = {"clientId": client, "memberId": "nurse-1", "reason": "rotation"}
    await api.ok(END, {"input": ended}, role=Role.PROGRAM_ADMIN)
    after = datetime.now(UTC)
    asked = {"user": "nurse-1", "role": "NURSE", "id": client}

    then = (await api.ok(AS_OF, asked | {"at": on_team.isoformat()}, **AUDITOR))["accessAsOf"]
    later = (await api.ok(AS_OF, asked | {"at": after.isoformat()}, **AUDITOR))["accessAsOf"]

    assert then["grant"]["basis"] == "CARE_TEAM"
    assert then["refusal"] is None
    assert [m["inForce"] for m in then["memberships"]] == [True]
    assert [e["type"] for e in then["timeline"]] == [
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
    ]
    assert then["timeline"][0]["summary"].startswith("Enrolled in OTP")
    assert later["grant"] is None
    assert later["refusal"]["rule"] == "care-team-or-consent"
    assert later["memberships"][0]["endedAt"] is not None
    assert later["timeline"] == []
    assert operations(await access_log(api, client), "accessAsOf") == [
        ("auditor", "GRANTED", 2),
        ("auditor", "GRANTED", 0),
    ]
    refused = await refusal(api, AS_OF, asked | {"at": after.isoformat()}, role=Role.NURSE)
    assert refused["rule"] == "role-may-read"


async def test_what_an_admin_of_one_program_could_see_of_another_programs_client(
    api: Api,
) -> None:
    north, south = f"North {uuid.uuid4().hex[:6]}", f"South {uuid.uuid4().hex[:6]}"
    theirs, other = await enroll(api, north), await enroll(api, south)
    asked = {"user": "admin-north", "role": "PROGRAM_ADMIN", "at": datetime.now(UTC).isoformat()}
    scoped = """query($user: String!, $id: UUID!, $at: DateTime!, $program: String) {
      accessAsOf(userId: $user, role: PROGRAM_ADMIN, clientId: $id, at: $at, program: $program) {
        grant { basis } refusal { field rule message } timeline { type } } }"""

    own = await api.ok(scoped, asked | {"id": theirs, "program": north}, **AUDITOR)
    elsewhere = await api.ok(scoped, asked | {"id": other, "program": north}, **AUDITOR)
    unscoped = await api.ok(scoped, asked | {"id": other}, **AUDITOR)
    token = issue_token(api.platform.settings, "admin-north", Role.PROGRAM_ADMIN, program=north)
    by_the_admin = await refusal(api, AS_OF, asked | {"id": other}, token=token)

    assert own["accessAsOf"]["grant"] == {"basis": "PROGRAM"}
    refused = elsewhere["accessAsOf"]
    assert (refused["grant"], refused["timeline"]) == (None, [])
    assert (refused["refusal"]["field"], refused["refusal"]["rule"]) == (
        "clientId",
        "admin-program",
    )
    assert south not in refused["refusal"]["message"]
    assert unscoped["accessAsOf"]["grant"] == {"basis": "PROGRAM"}
    assert (by_the_admin["code"], by_the_admin["rule"]) == ("FORBIDDEN", "role-may-read")
    assert operations(await access_log(api, other), "accessAsOf") == [
        ("auditor", "GRANTED", 0),
        ("auditor", "GRANTED", 1),
        ("program_admin", "REFUSED", 0),
    ]


async def test_what_an_auditor_of_one_program_could_see_of_another_programs_client(
    api: Api,
) -> None:
    """An auditor's token naming a program confines them as an admin's does."""
    north, south = f"North {uuid.uuid4().hex[:6]}", f"South {uuid.uuid4().hex[:6]}"
    other = await enroll(api, south)
    asked = {"user": "auditor-north", "id": other, "program": north}
    scoped = """query($user: String!, $id: UUID!, $at: DateTime!, $program: String) {
      accessAsOf(userId: $user, role: AUDITOR, clientId: $id, at: $at, program: $program) {
        grant { basis } refusal { rule } } }"""

    found = await api.ok(scoped, asked | {"at": datetime.now(UTC).isoformat()}, **AUDITOR)

    assert found["accessAsOf"] == {"grant": None, "refusal": {"rule": "auditor-program"}}
