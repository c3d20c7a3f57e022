"""At DEBUG the websocket library logs, under uvicorn's logger, each handshake header and
each frame it reads or sends: a token sent as a header, a subscription's variables, a
timeline entry pushed to a reader. Those lines are dropped; the rest of DEBUG is kept."""

from __future__ import annotations

import json
import subprocess
import sys

SERVED = """
import logging
from websockets.server import ServerProtocol
from carecoord.services.runtime import logs

logs.configure("DEBUG")
log = logging.getLogger("uvicorn.error")
log.debug("connection open")
server = ServerProtocol(logger=log)
server.receive_data(
    b"GET /graphql HTTP/1.1\\r\\nHost: api\\r\\nAuthorization: Bearer token-of-nurse-kim\\r\\n"
    b"Upgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n"
)
[request] = server.events_received()
server.send_response(server.accept(request))
server.send_text(b'{"summary": "Check-in (used fentanyl)"}')
"""


def test_a_websockets_headers_and_frames_are_not_logged() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVED], check=True, capture_output=True, text=True, timeout=60
    )
    said = [json.loads(line)["msg"] for line in done.stderr.splitlines()]
    assert "connection open" in said
    assert "token-of-nurse-kim" not in done.stderr
    assert "fentanyl" not in done.stderr


OPENED = """
import logging
from carecoord.services.runtime import logs

logs.configure()
log = logging.getLogger("uvicorn.error")
for said in ("[accepted]", "403"):  # uvicorn's own line for each websocket
    log.info('%s - "WebSocket %s" ' + said, "10.0.0.7:50312", "/graphql?note=used+fentanyl")
log.info('%s - "WebSocket %s" %d', "10.0.0.7:50312", "/graphql?note=used+fentanyl", 500)
"""


def test_a_websockets_query_string_is_not_logged() -> None:
    """uvicorn logs each websocket at INFO with its path and the query string the client
    sent (a query's variables, by GET's habit): the path alone is logged."""
    done = subprocess.run(
        [sys.executable, "-c", OPENED], check=True, capture_output=True, text=True, timeout=60
    )
    said = [json.loads(line)["msg"] for line in done.stderr.splitlines()]
    assert said == [
        '10.0.0.7:50312 - "WebSocket /graphql" [accepted]',
        '10.0.0.7:50312 - "WebSocket /graphql" 403',
        '10.0.0.7:50312 - "WebSocket /graphql" 500',
    ]
