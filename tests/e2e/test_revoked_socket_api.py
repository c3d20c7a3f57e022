"""A socket whose token a suspension revoked is ended, though its watch never saw the user
suspended: suspended and reinstated between two of its asks, the user's newest event is the
reinstatement, and the socket stayed open, its subscription pushing on the revoked token."""

from __future__ import annotations

import asyncio
import json
import time
from uuid import uuid4

from test_token_revoked_by_suspension_api import REINSTATE, SUSPEND, token
from test_user_suspension_socket_once_api import (
    CHECK_IN,
    ENROLL,
    SUBSCRIBE,
    refusals,
    until_closed,
)

from carecoord.events import Role
from support import Api


async def test_a_socket_on_a_token_revoked_unseen_is_ended(api: Api) -> None:
    nurse = f"nurse-{uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE)
    after = await api.join_care_team(client_id, Role.NURSE, nurse)
    held = token(api, nurse, iat=int(time.time()) - 60)
    async with api.subscription(held, SUBSCRIBE, {"id": client_id, "after": after}) as ws:
        assert api.platform.suspended is not None
        await api.platform.suspended.stop()  # it asks next for the push below
        left = {"input": {"userId": nurse, "reason": "token stolen"}}
        await api.ok(SUSPEND, left, role=Role.PROGRAM_ADMIN)
        await api.ok(REINSTATE, left, role=Role.PROGRAM_ADMIN)
        await api.ok(CHECK_IN, {"input": {"clientId": client_id, "mood": 6}}, role=Role.NURSE)
        received = await until_closed(ws)
        closed = ws.protocol.close_rcvd

    rules = refusals(received)
    refusal = {"code": "UNAUTHENTICATED", "field": "authorization", "rule": "token-revoked"}
    assert rules == [("1", "next", refusal), ("1", "complete", None)]
    assert closed is not None
    assert closed.code == 4403
    assert closed.reason.startswith("UNAUTHENTICATED token-revoked")

    signed_in_again = api.token(Role.NURSE, nurse)  # the reinstatement ends no new token
    async with api.subscription(
        signed_in_again, SUBSCRIBE, {"id": client_id, "after": after}
    ) as ws:
        pushed = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert pushed["type"] == "next"
    assert "errors" not in pushed["payload"], pushed
