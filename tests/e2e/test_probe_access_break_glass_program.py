"""A program admin whose token names a program lists that program's clients alone, and reads
no other's: the emergency accesses took the newest ``first`` of every program and then left
out the others', so a busier program's newer uses hid all of theirs, and the listings logged
each other program's client as a refused read by an admin who never asked for it."""

from __future__ import annotations

import uuid

import pytest
from test_foundation import enroll_prescribe_dose

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
BREAK_GLASS = mutation("BreakGlassInput", "breakGlass")
USES = """query($first: Int!) { breakGlassUses(first: $first) { clientId memberId } }"""
ACCESS_LOG = """query($id: UUID) { accessLog(clientId: $id, first: 500) { readerId } }"""
DEA_LOG = """query($p: Seq, $day: Date!) {
  dispensingLog(fromDay: $day, toDay: $day, atLeast: $p) { rows { clientId } } }"""


async def emergency_at(api: Api, program: str) -> str:
    """A client of ``program`` whose record a nurse off the team opened in an emergency."""
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Lee", "program": program}}, role=Role.PROGRAM_ADMIN
    )
    client_id: str = enrolled["enrollClient"]["id"]
    reason = {"clientId": client_id, "reason": "found unresponsive in the lobby"}
    await api.ok(BREAK_GLASS, {"input": reason}, role=Role.NURSE, user="nurse-float")
    return client_id


async def test_a_program_admin_lists_the_newest_emergency_accesses_of_their_program(
    api: Api,
) -> None:
    program = f"North {uuid.uuid4().hex[:8]}"
    ours = await emergency_at(api, program)
    elsewhere = await emergency_at(api, "OTP")  # newer, in another program
    token = issue_token(api.platform.settings, "admin-north", Role.PROGRAM_ADMIN, program=program)

    listed = await api.ok(USES, {"first": 1}, token=token)

    assert listed["breakGlassUses"] == [{"clientId": ours, "memberId": "nurse-float"}]
    logged = await api.ok(ACCESS_LOG, {"id": elsewhere}, role=Role.AUDITOR, user="auditor-bgp")
    assert "admin-north" not in {e["readerId"] for e in logged["accessLog"]}


async def test_a_program_admin_reading_the_dea_log_logs_no_read_of_another_programs_client(
    api: Api,
) -> None:
    """The log's rows of other programs' clients were each access-logged as a refused read
    by that admin, as though they had tried to open those records."""
    client_id, _, position, dosed = await enroll_prescribe_dose(api)
    dose_day = {"p": position, "day": dosed[:10]}
    program = f"North {uuid.uuid4().hex[:8]}"
    token = issue_token(api.platform.settings, "admin-dea", Role.PROGRAM_ADMIN, program=program)
    auditor = await api.ok(DEA_LOG, dose_day, role=Role.AUDITOR, user="auditor-dea")
    assert client_id in {r["clientId"] for r in auditor["dispensingLog"]["rows"]}

    theirs = await api.ok(DEA_LOG, dose_day, token=token)

    assert theirs["dispensingLog"]["rows"] == []
    logged = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-bgp")
    assert "admin-dea" not in {e["readerId"] for e in logged["accessLog"]}
