"""A suspended user's open subscription is told of the suspension once: a push that finds
the user suspended and the socket's own watch ended it together, and when the client was
slow to take the push's refusal, the watch sent its own as well (two ``next`` with
``user-suspended`` for the one operation)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import uuid4

import pytest
from websockets.exceptions import ConnectionClosed

from carecoord.events import Role
from carecoord.graphql.app import ExplainedClose
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SUSPEND = mutation("UserAccessInput", "suspendUser")
SUBSCRIBE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { type position } }"""


async def until_closed(ws: Any) -> list[dict[str, Any]]:
    """Every message the socket receives until the server closes it."""
    received = []
    try:
        while True:
            received.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
    except ConnectionClosed:
        return received


def refusals(received: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    """Each message's id, type and first error's extensions (None for one without)."""
    return [
        (m["id"], m["type"], m.get("payload", {}).get("errors", [{}])[0].get("extensions"))
        for m in received
    ]


async def test_a_push_and_the_watch_refuse_a_suspended_subscriber_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    nurse = f"nurse-{uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE)
    after = await api.join_care_team(client_id, Role.NURSE, nurse)
    check_in = {"input": {"clientId": client_id, "mood": 6}}
    token = api.token(Role.NURSE, nurse)
    async with api.subscription(token, SUBSCRIBE, {"id": client_id, "after": after}) as ws:
        await api.ok(CHECK_IN, check_in, role=Role.NURSE)
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "next"
        assert api.platform.suspended is not None
        await api.platform.suspended.stop()  # the push asks it first, and wakes it
        sent = ExplainedClose.send_json

        async def slowly_taken(adapter: ExplainedClose, message: Any) -> None:
            await sent(adapter, message)
            if message.get("payload", {}).get("errors"):
                await asyncio.sleep(0.1)  # the client takes the refusal in its own time

        monkeypatch.setattr(ExplainedClose, "send_json", slowly_taken)
        left = {"userId": nurse, "reason": "left the program"}
        await api.ok(SUSPEND, {"input": left}, role=Role.PROGRAM_ADMIN)
        await api.ok(CHECK_IN, check_in, role=Role.NURSE)
        received = await until_closed(ws)
        closed = ws.protocol.close_rcvd

    rules = refusals(received)
    refusal = {"code": "FORBIDDEN", "field": "authorization", "rule": "user-suspended"}
    assert rules == [("1", "next", refusal), ("1", "complete", None)]
    assert closed is not None
    assert closed.code == 4403
