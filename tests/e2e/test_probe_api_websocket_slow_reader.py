"""A client that stops reading its socket (its buffers full) is dropped once a message has
waited ``SEND_WAIT`` for it: it was kept for ever, a push decided for each of its
subscriptions waiting to go out whenever it read again, and it held its place in its
user's count. Reading again, it finds the close frame (``STALLED_CLOSE``) after what was
sent, where the connection just ended. The sockets of others are served meanwhile, and so
are the same user's other sockets: they waited for the drop, their user's pushes in flight
all the stalled socket's. One that never reads again is reset once its close frame could
not be sent either: closed, the server kept what waited unsent for it until it read."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from datetime import timedelta

import pytest

from carecoord.events import Role
from carecoord.graphql import app
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
TIMELINE = """subscription($id: UUID!) {
  timeline(clientId: $id) { position facts } }"""
SUBSCRIPTIONS = 100
CHECK_INS = 10
"""Each pushed to every subscription with a 5,000-character note: 5 MB, more than the
kernel's buffers on both sides hold."""
TCP_CLOSE = 7
"""``tcpi_state`` of a connection that has ended (linux ``tcp_states.h``)."""


def frame(message: object) -> bytes:
    """``message`` as a client's masked text frame."""
    data = json.dumps(message).encode()
    mask = os.urandom(4)
    size = len(data)
    header = (
        struct.pack("!BBH", 0x81, 0x80 | 126, size) if size > 125 else bytes([0x81, 0x80 | size])
    )
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def stalled(api: Api, token: str, client_id: str) -> socket.socket:
    """A socket subscribed ``SUBSCRIPTIONS`` times to the client's timeline that reads
    nothing after the server's handshake answer."""
    host, port = api.base_url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n".encode()
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    sock.sendall(
        frame({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    payload = {"query": TIMELINE, "variables": {"id": client_id}}
    for n in range(SUBSCRIPTIONS):
        sock.sendall(frame({"id": str(n), "type": "subscribe", "payload": payload}))
    return sock


def read_to_the_end(sock: socket.socket) -> bytes:
    """The bytes the socket holds until the server ends it; TimeoutError if it does not."""
    sock.settimeout(10)
    taken = bytearray()
    while chunk := sock.recv(1 << 20):
        taken += chunk
    return bytes(taken)


def closed_with(taken: bytes) -> tuple[int, str]:
    """The code and reason of the close frame ``taken`` ends with (an unmasked server frame
    of under 126 bytes)."""
    for start in range(len(taken) - 4, max(len(taken) - 130, 0), -1):
        if taken[start] == 0x88 and taken[start + 1] == len(taken) - start - 2:
            code = struct.unpack("!H", taken[start + 2 : start + 4])[0]
            return code, taken[start + 4 :].decode()
    raise AssertionError(f"no close frame at the end: {taken[-40:]!r}")


async def reset(sock: socket.socket) -> None:
    """Returns once the client's end of the connection has ended (``struct tcp_info``'s
    state): for one that reads nothing, once the server reset it."""
    while True:
        if sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] == TCP_CLOSE:
            return
        await asyncio.sleep(0.1)


async def check_in(api: Api, client_id: str, nurse: str) -> None:
    """``CHECK_INS`` check-ins of the client by ``nurse``, each with a long note."""
    for _ in range(CHECK_INS):
        given = {"clientId": client_id, "craving": 5, "note": "n" * 5000}
        await api.ok(CHECK_IN, {"input": given}, role=Role.NURSE, user=nurse)


async def dropped(api: Api, user: str) -> None:
    """Returns once ``user`` has no socket counted: the stalled one was dropped."""
    while True:
        async with api.platform.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) FROM open_websockets WHERE user_id = %s", (user,)
            )
            found = await cur.fetchone()
        if found == (0,):
            return
        await asyncio.sleep(0.1)


async def enrolled_with(api: Api, name: str, *members: tuple[Role, str]) -> str:
    """A new client's id, ``members`` on their care team."""
    given = {"input": {"displayName": name, "program": "OTP"}}
    enrolled = await api.ok(ENROLL, given, role=Role.PROGRAM_ADMIN)
    client_id = str(enrolled["enrollClient"]["id"])
    for role, user in members:
        await api.join_care_team(client_id, role, user)
    return client_id


async def test_a_client_that_stops_reading_is_dropped_and_others_are_served(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "SEND_WAIT", timedelta(seconds=1))
    monkeypatch.setattr(app, "STALLED_CLOSE_WAIT", timedelta(hours=1))
    client_id = await enrolled_with(
        api, "Uma", (Role.NURSE, "nurse-stalled"), (Role.PRESCRIBER, "dr-reading")
    )
    sock = await asyncio.to_thread(stalled, api, api.token(Role.NURSE, "nurse-stalled"), client_id)

    reader = api.token(Role.PRESCRIBER, "dr-reading")
    try:
        async with api.subscription(reader, TIMELINE, {"id": client_id}) as reading:
            await asyncio.sleep(0.5)  # the subscriptions have started
            await check_in(api, client_id, "nurse-stalled")
            served = [
                json.loads(await asyncio.wait_for(reading.recv(), 10)) for _ in range(CHECK_INS)
            ]
        await dropped(api, "nurse-stalled")
        taken = await asyncio.to_thread(read_to_the_end, sock)
    finally:
        sock.close()

    assert [m["type"] for m in served] == ["next"] * CHECK_INS
    assert len(taken) < SUBSCRIPTIONS * CHECK_INS * 5000, "dropped before everything was pushed"
    assert closed_with(taken) == (app.STALLED_CLOSE, app.STALLED_REASON)
    assert app.STALLED_REASON.startswith("BAD_REQUEST socket-not-reading: ")


async def test_a_users_stalled_socket_holds_back_none_of_their_other_sockets(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "SEND_WAIT", timedelta(hours=1))  # never dropped here
    nurse = "nurse-two-sockets"
    client_id = await enrolled_with(api, "Ivo", (Role.NURSE, nurse))
    token = api.token(Role.NURSE, nurse)
    sock = await asyncio.to_thread(stalled, api, token, client_id)
    try:
        async with api.subscription(token, TIMELINE, {"id": client_id}) as reading:
            await asyncio.sleep(0.5)  # the subscriptions have started
            await check_in(api, client_id, nurse)
            served = [
                json.loads(await asyncio.wait_for(reading.recv(), 30)) for _ in range(CHECK_INS)
            ]
    finally:
        sock.close()

    assert [m["type"] for m in served] == ["next"] * CHECK_INS


async def test_a_dropped_socket_that_never_reads_again_is_reset(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "SEND_WAIT", timedelta(seconds=1))
    monkeypatch.setattr(app, "STALLED_CLOSE_WAIT", timedelta(seconds=0.5))
    nurse = "nurse-never-reads"
    client_id = await enrolled_with(api, "Ada", (Role.NURSE, nurse))
    sock = await asyncio.to_thread(stalled, api, api.token(Role.NURSE, nurse), client_id)
    try:
        await asyncio.sleep(0.5)  # the subscriptions have started
        await check_in(api, client_id, nurse)
        await dropped(api, nurse)
        await reset(sock)
        with pytest.raises(ConnectionResetError):
            await asyncio.to_thread(read_to_the_end, sock)
    finally:
        sock.close()
