"""Sending a pipeline's statements whole before waiting on its answers.

psycopg (3.3) sends a pipeline's queued statements by flushing libpq's output buffer once
per step and stops when its queue is empty, so an explicit ``Pipeline.sync()`` can wait
for the server's answer with part of a large statement still in that buffer: the server
waits for the rest and the driver for the answer, for ever. That happens once a pipeline
holds more than the socket takes at once (about 1 MB over a Unix socket, a few MB over
TCP): a group commit of many long notes does. Leaving a pipeline block flushes fully; only
an explicit sync needs this first.
"""

from __future__ import annotations

import selectors
from typing import Any

from psycopg import Connection


def send_all(conn: Connection[Any]) -> None:
    """Flush everything the pipeline has queued to the server, reading its answers into
    libpq's buffer meanwhile (the pipeline processes them later), so the server is never
    blocked writing to us while we write to it. (A selector, not ``select``: a busy process
    has descriptors past ``select``'s 1024.)"""
    pgconn = conn.pgconn
    if not pgconn.flush():
        return
    with selectors.DefaultSelector() as selector:
        selector.register(conn.fileno(), selectors.EVENT_READ | selectors.EVENT_WRITE)
        while pgconn.flush():
            for _, ready in selector.select():
                if ready & selectors.EVENT_READ:
                    pgconn.consume_input()
