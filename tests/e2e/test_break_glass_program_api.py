"""A clinician whose token names a program breaks the glass on that program's clients only,
as the claim keeps their enrolments and stock to it: a nurse of one program opened another
program's client's record in an emergency. A client id no program has is refused alike, so
the refusal tells no more than an unknown id's; nothing is recorded."""

from __future__ import annotations

import uuid

import pytest

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
BREAK_GLASS = mutation("BreakGlassInput", "breakGlass")
USES = """query { breakGlassUses(first: 50) { clientId memberId } }"""
REASON = "found unresponsive in the lobby"


async def enrolled(api: Api, program: str) -> str:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Lee", "program": program}}, role=Role.PROGRAM_ADMIN
    )
    return str(data["enrollClient"]["id"])


@pytest.mark.parametrize("role", [Role.NURSE, Role.PRESCRIBER, Role.THERAPIST])
async def test_a_clinician_breaks_the_glass_within_the_program_their_token_names(
    api: Api, role: Role
) -> None:
    north, south = (f"{side} {uuid.uuid4().hex[:8]}" for side in ("North", "South"))
    ours, theirs = await enrolled(api, north), await enrolled(api, south)
    member = f"float-{role.value}"
    token = issue_token(api.platform.settings, member, role, program=north)

    for client_id in (theirs, str(uuid.uuid4())):
        refused = await api.gql(
            BREAK_GLASS, {"input": {"clientId": client_id, "reason": REASON}}, token=token
        )
        [error] = refused["errors"]
        assert error["extensions"] == {
            "code": "FORBIDDEN", "field": "clientId", "rule": "break-glass-program"
        }  # fmt: skip
    await api.ok(BREAK_GLASS, {"input": {"clientId": ours, "reason": REASON}}, token=token)

    admin = issue_token(api.platform.settings, "admin-bgp", Role.PROGRAM_ADMIN, program=south)
    assert (await api.ok(USES, token=admin))["breakGlassUses"] == []
    admin = issue_token(api.platform.settings, "admin-bgp", Role.PROGRAM_ADMIN, program=north)
    uses = (await api.ok(USES, token=admin))["breakGlassUses"]
    assert {"clientId": ours, "memberId": member} in uses
