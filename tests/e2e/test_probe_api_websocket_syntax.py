"""A document that does not parse, sent over graphql-transport-ws: the operation answers
with an ``error`` message saying why, as over HTTP. Before, the parse error escaped the
operation's stream: the client got a bare ``complete`` and the log an error whose traceback
quoted the document, values and all."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
import websockets

from carecoord.events import Role
from support import GRAPHQL_WS, Api

NOTE = "slept badly, kumquat dreams 4417"
CLIENT = "0" * 32
UNFINISHED = f'mutation {{ recordCheckIn(input: {{clientId: "{CLIENT}", note: "{NOTE}"}}) {{ id '


async def answer(api: Api, query: str) -> dict[str, Any]:
    """The first message the server sends for operation 1 with ``query``."""
    token = api.token(Role.NURSE)
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return message


@pytest.mark.shared_platform
@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (UNFINISHED, "Syntax Error: Expected Name, found <EOF>."),
        ("{ " + "__typename " * 3000 + "}", "Syntax Error: Document contains more than 2000"),
    ],
    ids=["unfinished", "too-many-tokens"],
)
async def test_a_document_that_does_not_parse_is_answered_with_an_error(
    api: Api, caplog: pytest.LogCaptureFixture, query: str, reason: str
) -> None:
    with caplog.at_level(logging.INFO):
        message = await answer(api, query)
    assert message["type"] == "error", message
    assert message["payload"][0]["message"].startswith(reason)
    assert message["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert NOTE not in caplog.text
