"""An identity provider's keys are fetched off the event loop: the API's first fetch of its
JWKS URL's set, and a fetch for a ``kid`` the set lacks, ran on the loop, so a provider slow
to answer (up to the fetch's 5 s, once per 30 s, and any token naming an unknown ``kid``
asks for one) held every request of the process, those needing no key among them. The
request whose token needs the keys waits for them; the others are served meanwhile."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
import websockets
from cryptography.hazmat.primitives.asymmetric import rsa

from carecoord.services.infrastructure.identity import KeySource, TokenVerifier
from support import GRAPHQL_WS, Api

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
HOLD = 1.0
"""Seconds the provider takes to answer: within the fetch's five."""
LIFESPAN = 1.0
"""Seconds a set is kept, and so the least between two fetches."""


class SlowProvider(BaseHTTPRequestHandler):
    """A JWKS endpoint answering ``HOLD`` seconds late, then saying it has (``answered``)."""

    def do_GET(self) -> None:
        server: Any = self.server
        server.asked.set()
        threading.Event().wait(HOLD)
        server.answered.set()
        public = json.loads(jwt.get_algorithm_by_name("RS256").to_jwk(KEY.public_key()))
        body = json.dumps({"keys": [public | {"kid": "rsa-1", "alg": "RS256", "use": "sig"}]})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def provider() -> Iterator[Any]:
    server: Any = HTTPServer(("127.0.0.1", 0), SlowProvider)
    server.asked, server.answered = threading.Event(), threading.Event()
    server.url = f"http://127.0.0.1:{server.server_port}/jwks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def signed(api: Api, kid: str) -> str:
    settings = api.platform.settings
    now = datetime.now(UTC)
    claims = {
        "sub": "nurse-1",
        "roles": ["nurse"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": kid})


async def asked(provider: Any) -> None:
    """Until the provider has been asked for its keys, waited for off the event loop (the
    loop's other work goes on)."""
    assert await asyncio.to_thread(provider.asked.wait, 10), "the keys were never asked for"


def checked_by(api: Api, provider: Any) -> None:
    """The API checks tokens against ``provider``'s keys, none fetched yet."""
    keys = KeySource(algorithms=("RS256",), jwks_url=provider.url, jwks_cache_seconds=LIFESPAN)
    api.platform.verifier = TokenVerifier(api.platform.settings, keys, None)


@pytest.mark.parametrize("first", ["none held yet", "kid not held"])
async def test_other_requests_are_served_while_a_token_waits_for_the_providers_keys(
    api: Api, provider: Any, first: str
) -> None:
    checked_by(api, provider)
    if first == "kid not held":  # the set held, fetched once; a token then names a new kid
        await api.platform.verifier.prepare(signed(api, "rsa-1"))
        await asyncio.sleep(LIFESPAN)
        provider.asked.clear()
        provider.answered.clear()
    token = signed(api, "rsa-1" if first == "none held yet" else "rsa-2")
    waiting = asyncio.create_task(
        api.http.post(
            "/graphql",
            json={"query": "{ platformStatus { storePosition } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    )
    await asked(provider)

    health = await api.http.get("/health")

    assert health.status_code == 200
    assert not provider.answered.is_set()
    answer = (await waiting).json()
    assert provider.answered.is_set()
    if first == "none held yet":
        assert isinstance(answer["data"]["platformStatus"]["storePosition"], int)
    else:
        assert answer["errors"][0]["extensions"]["rule"] == "token-kid"


async def test_a_socket_waits_for_the_keys_its_token_needs_while_others_are_served(
    api: Api, provider: Any
) -> None:
    checked_by(api, provider)
    init = {
        "type": "connection_init",
        "payload": {"Authorization": f"Bearer {signed(api, 'rsa-1')}"},
    }

    async def first_answer() -> object:
        async with websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS) as ws:
            await ws.send(json.dumps(init))
            return json.loads(await ws.recv())

    waiting = asyncio.create_task(first_answer())
    await asked(provider)

    health = await api.http.get("/health")

    assert health.status_code == 200
    assert not provider.answered.is_set()
    assert await waiting == {"type": "connection_ack"}
