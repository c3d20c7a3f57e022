"""A subscription outlives the request that verified its token: once the token has expired
(past its leeway) its socket is closed with 4403 and the token's refusal, and nothing recorded
after is delivered to a session nobody can renew."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from carecoord.events import Role
from carecoord.services.infrastructure.identity import LEEWAY, issue_token
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SUBSCRIBE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { type position } }"""
VALID_FOR = timedelta(seconds=2)


async def next_message(ws: Any, timeout: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


@pytest.mark.shared_platform
async def test_a_subscription_delivers_nothing_once_its_token_has_expired(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    after = await api.join_care_team(client_id, Role.NURSE)
    # Expired already, but still within the verifier's leeway for VALID_FOR.
    token = issue_token(api.platform.settings, "nurse-1", Role.NURSE, lifetime=VALID_FOR - LEEWAY)
    variables = {"id": client_id, "after": after}
    async with api.subscription(token, SUBSCRIBE, variables) as ws:
        await asyncio.sleep(VALID_FOR.total_seconds() + 0.5)
        await api.ok(CHECK_IN, {"input": {"clientId": client_id, "mood": 6}}, role=Role.NURSE)
        with pytest.raises(ConnectionClosed):  # not a message delivered past its expiry
            await next_message(ws)
        closed = ws.protocol.close_rcvd
    assert closed is not None, "closed without a close frame"
    assert (closed.code, closed.reason) == (
        4403,
        "UNAUTHENTICATED token-expired: the token has expired; sign in again",
    )
