"""A NATS connection spoken in the bare protocol, for tests that send what no client library
would (a status line, a header block not UTF-8), to a server whose URL may carry a token or
a user (the embedded server asks for its token)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote, urlsplit


async def opened(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connected to the server of ``url``, its INFO read and the CONNECT sent, with headers."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 4222)
    await reader.readline()  # INFO
    connect: dict[str, object] = {"verbose": False, "headers": True, "protocol": 1}
    if parts.username and parts.password is not None:
        connect |= {"user": unquote(parts.username), "pass": unquote(parts.password)}
    elif parts.username:
        connect["auth_token"] = unquote(parts.username)
    writer.write(f"CONNECT {json.dumps(connect)}\r\n".encode())
    return reader, writer
