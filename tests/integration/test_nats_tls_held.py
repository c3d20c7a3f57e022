"""A ``tls://`` NATS URL sends nothing to a server that offers no TLS: the client library
upgraded only when the server asked, so a server set up without TLS, or anyone answering in
its place, was sent the CONNECT with the user and password in the clear. The relay's and
the API's broker and ``carecoord tail`` all connect so."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import nats
import pytest
from restartable_nats import RestartableNats

from carecoord.services.infrastructure.nats_tls import TlsHeldBroker, TlsHeldClient

INFO = (
    b'INFO {"server_id":"lookalike","version":"2.10.0","auth_required":true,'
    b'"max_payload":1048576}\r\n'
)


@contextlib.asynccontextmanager
async def plain_server() -> AsyncIterator[tuple[int, bytearray]]:
    """A server that answers like nats-server without TLS, and keeps what it is sent."""
    heard = bytearray()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(INFO)
        await writer.drain()
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(4096):
                heard.extend(chunk)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1], heard


async def tried(connect: Callable[[str], Awaitable[object]], port: int) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(5):
            await connect(f"tls://relay:s3cret-pw@127.0.0.1:{port}")
    await asyncio.sleep(0.1)  # whatever was sent has arrived


async def client(url: str) -> None:
    await TlsHeldClient().connect(url, allow_reconnect=False, connect_timeout=2)


async def broker(url: str) -> None:
    await TlsHeldBroker(url, allow_reconnect=False, connect_timeout=2).connect()


async def library(url: str) -> None:
    await nats.connect(url, allow_reconnect=False, connect_timeout=2)


@pytest.mark.parametrize("connect", [client, broker], ids=["client", "broker"])
async def test_a_tls_url_sends_nothing_to_a_server_offering_no_tls(
    connect: Callable[[str], Awaitable[object]],
) -> None:
    async with plain_server() as (port, heard):
        await tried(connect, port)
    assert b"s3cret-pw" not in heard
    assert b"CONNECT" not in heard


async def test_the_library_alone_sends_the_password_in_the_clear() -> None:
    """Why the guard: the same URL through the library's own client."""
    async with plain_server() as (port, heard):
        await tried(library, port)
    assert b"s3cret-pw" in heard


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A nats-server of its own offering TLS, with a certificate made for it; its port and
    the certificate."""
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    conf = tmp_path / "nats.conf"
    conf.write_text(f'tls {{\n  cert_file: "{cert}"\n  key_file: "{key}"\n}}\n')
    server = RestartableNats(tmp_path, conf=conf)
    server.start()
    yield server.port, cert
    server.kill()


async def test_a_server_offering_tls_is_reached_over_it(tls_server: tuple[int, Path]) -> None:
    """The guard keeps nothing from a server that does offer TLS."""
    port, cert = tls_server
    nc = TlsHeldClient()
    trusted = ssl.create_default_context(cafile=str(cert))
    await nc.connect(f"tls://127.0.0.1:{port}", tls=trusted, allow_reconnect=False)
    await nc.flush()
    assert nc.is_connected
    await nc.close()
