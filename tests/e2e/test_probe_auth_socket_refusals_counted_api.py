"""A websocket refused at its connection_init (a bad or missing token) is counted in
carecoord_refusals_total by code and rule, and logged as one line naming them, as an HTTP
request's refusal is: neither was, so a run of forged or expired tokens over websockets, or
a key rotation that broke every socket, showed in no rate of refusals."""

from __future__ import annotations

import json
import logging

import pytest
import websockets

from support import GRAPHQL_WS, Api


async def closed_at_init(api: Api, payload: dict[str, str]) -> int:
    async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    frame = closed.value.rcvd
    return 0 if frame is None else frame.code


async def test_sockets_refused_for_their_token_are_counted_and_logged(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    forged, missing = (
        await api.refusals("UNAUTHENTICATED", "token-invalid"),
        await api.refusals("UNAUTHENTICATED", "token-required"),
    )

    with caplog.at_level(logging.INFO, logger="carecoord.api"):
        assert await closed_at_init(api, {"Authorization": "Bearer not.a.token"}) == 4403
        assert await closed_at_init(api, {}) == 4403

    assert await api.refusals("UNAUTHENTICATED", "token-invalid") == forged + 1
    assert await api.refusals("UNAUTHENTICATED", "token-required") == missing + 1
    logged = [
        (r.code, r.rule)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.getMessage() == "socket refused"
    ]
    assert logged == [("UNAUTHENTICATED", "token-invalid"), ("UNAUTHENTICATED", "token-required")]
