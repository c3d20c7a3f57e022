"""The API's requests as its process stops: every one has ended before the platform closes.

uvicorn, told to stop, waits a while for the requests it is answering, then cancels those
left and returns without waiting for them to end; the process then closed the command bus
and the pools under requests still running (``PoolClosed``, an internal error) and a
cancelled request answered a bare 500. From ``close`` on, a request that arrives (on a
connection already open) is answered ``UNAVAILABLE``, rule ``api-stopping``, and one still
running when ``ended`` gives up waiting is cut and answered the same, unless its answer has
begun: both are to send again, to another API process or once this one is back. A mutation
cut so may have been recorded; its ``Idempotency-Key`` answers the retry with what was.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("carecoord.api")

RULE = "api-stopping"
MESSAGE = (
    "this API process is stopping: send the request again (a mutation with its"
    " Idempotency-Key, as it may have been recorded)"
)
ANSWERS = frozenset({"http.response.start", "websocket.accept", "websocket.close"})
"""The messages after which a request has its answer begun (an open socket is closed by
uvicorn as it stops)."""
SERVICE_RESTART = 1012
"""The websocket close code for a server restarting: a client opens a new socket."""


class InFlight:
    """``app`` with its requests counted, so that a stop waits for them (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._running: set[asyncio.Task[object]] = set()
        self._cut: set[asyncio.Task[object]] = set()
        self._closed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self._closed:
            await refuse(scope, send)
            return
        task = asyncio.current_task()
        assert task is not None
        answered = False

        async def sending(message: Message) -> None:
            nonlocal answered
            answered = answered or message["type"] in ANSWERS
            await send(message)

        self._running.add(task)
        try:
            await self.app(scope, receive, sending)
        except asyncio.CancelledError:
            if task not in self._cut:  # uvicorn's own cancel, or the loop closing
                raise
            task.uncancel()
            if not answered:
                await refuse(scope, send)
        finally:
            self._running.discard(task)

    def close(self) -> None:
        """Refuse every request from here on."""
        self._closed = True

    async def ended(self, within: float) -> None:
        """Return once no request runs: those still running after ``within`` seconds, or
        when this wait is cancelled (a second signal), are cut, and waited for."""
        self.close()
        try:
            if self._running:
                await asyncio.wait(set(self._running), timeout=within)
        finally:
            left = set(self._running)
            if left:
                log.warning(
                    "requests cut at stop", extra={"code": "API_STOPPING", "requests": len(left)}
                )
            for task in left:
                self._cut.add(task)
                task.cancel()
            if left:
                await asyncio.wait(left)


async def refuse(scope: Scope, send: Send) -> None:
    """``UNAVAILABLE`` (``RULE``): an HTTP request's answer as GraphQL's errors, with 503
    and Retry-After for a load balancer; a websocket is closed as a server restarting."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": SERVICE_RESTART, "reason": RULE})
        return
    error = {"message": MESSAGE, "extensions": {"code": "UNAVAILABLE", "field": "", "rule": RULE}}
    body = json.dumps({"data": None, "errors": [error]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
