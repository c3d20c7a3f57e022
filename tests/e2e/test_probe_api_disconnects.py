"""A client that goes away before its request body has arrived (a dropped mobile
connection, a proxy timing out) is nobody to answer: the API drops the request quietly
and logs no error with a traceback for it."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlsplit

import pytest

from carecoord.events import Role
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")


async def send_part_and_leave(api: Api, token: str, body: bytes) -> None:
    """Headers announcing ``body`` in full, then half of it, then the connection closed."""
    url = urlsplit(api.base_url)
    _, writer = await asyncio.open_connection(url.hostname, url.port)
    head = (
        "POST /graphql HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body[: len(body) // 2])
    await writer.drain()
    writer.close()
    await writer.wait_closed()


@pytest.mark.shared_platform
async def test_a_client_gone_mid_body_is_dropped_without_an_error(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    variables = {"input": {"displayName": "Dropped Midway", "program": "OTP"}}
    body = json.dumps({"query": ENROLL, "variables": variables}).encode()
    with caplog.at_level(logging.INFO):
        await send_part_and_leave(api, api.token(Role.PROGRAM_ADMIN), body)
        # The server saw the disconnect once a request after it has been answered.
        assert await api.gql("{ __typename }") == {"data": {"__typename": "Query"}}
        await asyncio.sleep(0.2)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [(r.name, r.getMessage()) for r in errors]
