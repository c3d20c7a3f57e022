"""A program admin whose token names a program lists that program's emergency accesses, the
newest ``first`` of them: the list took the newest ``first`` of every program and then left
out the others', so a busier program's newer uses hid all of theirs (an empty list), and each
of those clients was access-logged as a refused read by an admin who never asked for it."""

from __future__ import annotations

import uuid

import pytest

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
BREAK_GLASS = mutation("BreakGlassInput", "breakGlass")
USES = """query($first: Int!) { breakGlassUses(first: $first) { clientId memberId } }"""
ACCESS_LOG = """query($id: UUID) { accessLog(clientId: $id, first: 500) { readerId } }"""


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
