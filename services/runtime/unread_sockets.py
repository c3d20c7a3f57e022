"""The websocket protocol the API is served with: uvicorn's ``websockets-sansio``, but a
connection whose client is not taking what was written when the app ends it is reset, not
closed.

A socket dropped for not reading (``graphql/app.py``, ``SEND_WAIT``) whose close frame could
not be sent either within ``STALLED_CLOSE_WAIT`` was ended with uvicorn's
``transport.close()``, which keeps what waits unsent until it is written: a client that
never read again (its kernel answering the server's probes with a window of 0) held the
connection open and 2.8 MB in the server's send buffer, measured 40 s after its drop, for
as long as it stayed. Aborting the transport alone left the kernel the same 2.8 MB to send
(FIN-WAIT-1): a linger of 0 has the close reset the connection, dropping them.
"""

from __future__ import annotations

import socket
import struct

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

NO_LINGER = struct.pack("ii", 1, 0)
"""``SO_LINGER`` on, for 0 s: closing the socket resets the connection."""


class ResetWhenUnread(WebSocketsSansIOProtocol):
    async def run_asgi(self) -> None:
        await super().run_asgi()
        if self.close_timer is None and not self.writable.is_set():
            # Ended with writing paused (the client takes nothing) and no close sent.
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, NO_LINGER)
            self.transport.abort()
