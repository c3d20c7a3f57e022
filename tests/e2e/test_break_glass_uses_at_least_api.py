"""breakGlassUses takes atLeast, as every other read of a view does: the program admin alerted
to an emergency access (the breakGlass mutation's position) is answered once the view has it.
Before, the list was read as the view stood, and one recorded a moment earlier could be
missing from it with nothing to wait on."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
BREAK_GLASS = mutation("BreakGlassInput", "breakGlass")
USES = """query($p: Seq) { breakGlassUses(first: 5, atLeast: $p) { clientId memberId } }"""


async def test_an_emergency_access_just_recorded_is_listed_with_at_least(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    with psycopg.connect(api.platform.database_url) as held:
        # The projector cannot write the emergency-access view while this lock is held.
        held.execute("LOCK TABLE break_glass IN EXCLUSIVE MODE")
        opened = await api.ok(
            BREAK_GLASS,
            {"input": {"clientId": client_id, "reason": "found unresponsive in the lobby"}},
            role=Role.NURSE,
            user="nurse-at-least",
        )
        position = opened["breakGlass"]["position"]
        reading = asyncio.create_task(api.ok(USES, {"p": position}, role=Role.AUDITOR))
        await asyncio.sleep(0.5)  # the read has begun, and waits for the view
        held.rollback()
        listed = await reading

    assert {"clientId": client_id, "memberId": "nurse-at-least"} in listed["breakGlassUses"]
