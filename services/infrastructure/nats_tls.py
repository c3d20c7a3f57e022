"""NATS connections that keep a ``tls://`` URL's promise: TLS before anything is sent.

The NATS client library upgrades a connection to TLS only when the server's first line
(INFO) asks for it. A server reached by a ``tls://`` URL that did not ask (one set up
without TLS, or anyone between who answers in its place) was sent the client's CONNECT, its
user and password or token with it, in the clear. These connections refuse such a server
before they send anything; the client then tries again, as for a server not there.
"""

from __future__ import annotations

from typing import Any

from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.errors import Error


class TlsNotOffered(Error):
    def __str__(self) -> str:
        return "nats: a tls:// server offered no TLS; nothing was sent to it"


class TlsHeldClient(Client):
    """The library's client, refusing a ``tls://`` server whose INFO offers no TLS."""

    async def _process_info(self, info: dict[str, Any], initial_connection: bool = False) -> None:
        server = self._current_server
        if (
            initial_connection
            and server is not None
            and server.uri.scheme == "tls"
            and not info.get("tls_required")
            and not self.options.get("tls_handshake_first")
        ):
            raise TlsNotOffered
        await super()._process_info(info, initial_connection)


class TlsHeldBroker(NatsBroker):
    """FastStream's NATS broker on a ``TlsHeldClient``."""

    async def _connect(self) -> Client:
        connection = TlsHeldClient()
        await connection.connect(**self._connection_kwargs)
        self.config.connect(connection)
        return connection
