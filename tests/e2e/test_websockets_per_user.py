"""One user has at most ``max_websockets_per_user`` GraphQL websockets open at once on one API
process (20 by default): one more is closed at its ``connection_init`` with 1013 (try again
later) and a reason naming the limit and the rule, and the user's other sockets, and other
users', go on; the reference client (npm graphql-ws) tries again, and gets in once a place is
free. A socket gives its place back however it ends, closed or dropped. Before, a socket ran
at most 100 operations, but a user could open sockets without end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
import websockets
from conftest import delete_stream, fresh_database, isolated_settings, serving_api, started
from node_tools import run_script
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

from carecoord.events import Role
from carecoord.services.runtime.bootstrap import Servers, running
from support import GRAPHQL_WS, Api

DEFAULT = 20
ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id } }"""


def refusal(limit: int) -> str:
    return (
        f"BAD_REQUEST websockets-per-user: at most {limit} websockets open at once per user;"
        " close one first"
    )


async def connect(api: Api, token: str) -> tuple[ClientConnection, Close | None]:
    """A socket that sent its ``connection_init`` with ``token``: open, and None when it was
    acknowledged; else closed, with the server's close frame."""
    ws = await websockets.connect(api.ws_url, subprotocols=GRAPHQL_WS)
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    try:
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
    except ConnectionClosed:
        await ws.wait_closed()
        assert ws.protocol.close_rcvd is not None, "closed without a close frame"
        return ws, ws.protocol.close_rcvd
    assert answer == {"type": "connection_ack"}, answer
    return ws, None


@contextlib.asynccontextmanager
async def sockets(api: Api, token: str, count: int) -> AsyncIterator[list[ClientConnection]]:
    """``count`` sockets acknowledged for ``token``'s user, closed after."""
    async with contextlib.AsyncExitStack() as stack:
        opened: list[ClientConnection] = []
        for _ in range(count):
            ws, refused = await connect(api, token)
            stack.push_async_callback(ws.close)
            assert refused is None, f"socket {len(opened) + 1} refused: {refused}"
            opened.append(ws)
        yield opened


async def refused_with(api: Api, token: str) -> Close:
    ws, refused = await connect(api, token)
    await ws.close()
    assert refused is not None, "one socket past the limit was acknowledged"
    return refused


async def accepted_again(api: Api, token: str) -> ClientConnection:
    """A socket acknowledged once the server has seen one of the user's others end: it gives
    its place back as its handler ends, a moment after the client saw the close."""
    async with asyncio.timeout(5):
        while True:
            ws, refused = await connect(api, token)
            if refused is None:
                return ws
            assert refused.code == 1013, refused
            await asyncio.sleep(0.05)


async def pong(ws: ClientConnection) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}


@pytest.mark.shared_platform
async def test_one_socket_past_the_default_limit_is_closed_naming_it(api: Api) -> None:
    user = f"nurse-sockets-{uuid.uuid4().hex[:8]}"
    token = api.token(Role.NURSE, user)
    async with sockets(api, token, DEFAULT) as open_:
        closed = await refused_with(api, token)
        assert (closed.code, closed.reason) == (1013, refusal(DEFAULT))
        # The user, not the token: another token of theirs, in another role, counts too.
        in_another_role = await refused_with(api, api.token(Role.PRESCRIBER, user))
        assert in_another_role.code == 1013
        # Another user is not held to this one's count; this one's sockets serve on.
        async with sockets(api, api.token(Role.NURSE, f"{user}-other"), 1):
            pass
        for ws in open_:
            await pong(ws)

        # A socket closed gives its place back, and only its own: one more is refused again.
        await open_[0].close()
        again = await accepted_again(api, token)
        try:
            await pong(again)
            assert (await refused_with(api, token)).code == 1013
        finally:
            await again.close()

        # So does one dropped without a close (its connection cut).
        open_[1].transport.abort()
        again = await accepted_again(api, token)
        await again.close()


@pytest.mark.shared_platform
async def test_the_reference_client_refused_one_socket_too_many_gets_in_once_one_closes(
    api: Api,
) -> None:
    """It was closed with 4429, graphql-transport-ws's code for a ``connection_init`` sent
    twice, which the graphql-ws client takes for a fault of its own and never retries: a user
    at the limit (their sockets of a process killed a moment ago still counted, say) stayed
    disconnected though a place came free."""
    user = f"nurse-reference-{uuid.uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client = enrolled["enrollClient"]["id"]
    await api.join_care_team(client, Role.NURSE, user)
    report = await run_script(
        "ws_socket_cap.cjs",
        {
            "API_URL": api.base_url,
            "TOKEN": api.token(Role.NURSE, user),
            "OPEN": str(DEFAULT),
            "CLIENT_ID": client,
        },
    )
    assert report == {
        "refused": {"code": 1013, "reason": refusal(DEFAULT)},
        "connected": True,
        "failed": None,
    }, report


async def test_the_limit_is_a_setting(servers: Servers, data_dir: Path) -> None:
    settings = isolated_settings(data_dir, max_websockets_per_user=2)
    async with started(settings, servers) as platform, serving_api(platform) as api:
        token = api.token(Role.THERAPIST, "therapist-sockets")
        async with sockets(api, token, 2):
            closed = await refused_with(api, token)
            assert (closed.code, closed.reason) == (1013, refusal(2))
        # A refused socket took no place: both come back once the two have ended.
        first = await accepted_again(api, token)
        try:
            await (await accepted_again(api, token)).close()
        finally:
            await first.close()


@contextlib.asynccontextmanager
async def two_api_processes(
    servers: Servers, data_dir: Path, limit: int
) -> AsyncIterator[tuple[Api, Api, str]]:
    """Two API processes on one database (``carecoord api --workers 2``, or two containers),
    each serving on its own port; and the database's URL."""
    settings = isolated_settings(data_dir, max_websockets_per_user=limit)
    with fresh_database(servers.database_url) as url:
        shared = Servers(url, servers.nats_url)
        try:
            async with (
                running(settings, shared) as first,
                running(settings, shared, relay=False, project=False) as second,
                serving_api(first) as one,
                serving_api(second) as other,
            ):
                yield one, other, url
        finally:
            await delete_stream(servers.nats_url, settings.stream_name)
            await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")


async def test_the_limit_holds_across_the_api_processes_of_one_database(
    servers: Servers, data_dir: Path
) -> None:
    """Each process counted its own sockets, so N processes let a user hold N times the
    limit; the sockets of a process gone without closing them (its lease run out) stop
    counting."""
    async with two_api_processes(servers, data_dir, limit=2) as (one, other, url):
        token = one.token(Role.NURSE, "nurse-two-processes")
        async with sockets(one, token, 1), sockets(other, token, 1) as on_other:
            for api in (one, other):
                closed = await refused_with(api, token)
                assert (closed.code, closed.reason) == (1013, refusal(2))
            await on_other[0].close()
            await (await accepted_again(one, token)).close()

        # A process killed with two of the user's sockets open: its lease ran out.
        with psycopg.connect(url) as conn:
            conn.execute(
                "INSERT INTO websocket_leases VALUES"
                " ('00000000-0000-4000-8000-00000000dead', now() - interval '1 second')"
            )
            for _ in range(2):
                conn.execute(
                    "INSERT INTO open_websockets (socket_id, user_id, process_id) VALUES"
                    " (gen_random_uuid(), 'nurse-killed', '00000000-0000-4000-8000-00000000dead')"
                )
        async with sockets(other, other.token(Role.NURSE, "nurse-killed"), 2):
            pass
