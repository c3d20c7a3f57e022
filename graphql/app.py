"""The ASGI app: GraphQL over HTTP and graphql-transport-ws, plus health and metrics.

GraphQL over HTTP as its spec asks (the ``graphql-http`` audit passes every MUST and SHOULD,
``tests/e2e/test_graphql_protocols.py``), each answer naming its encoding (``charset=utf-8``,
a SHOULD the audit does not check for ``application/json``): a client that accepts
``application/graphql-response+json`` gets that media type, and a request that fails before
it runs (parse, validation, variable coercion) answers 400 with no ``data`` entry; a client
that asks for ``application/json``, sends ``*/*`` or no ``Accept`` (the legacy clients) gets
``application/json`` and 200 whatever the errors.

A request refused before GraphQL sees it (a body that is no JSON object, a batch, a wrong
content type or method) answers a GraphQL-shaped error with ``extensions.code``
``BAD_REQUEST`` and the HTTP status saying why: 400, 413 for a body over the limit, 415 for
one that is no UTF-8 ``application/json`` sent uncompressed (``request_body.py``), and 405
with ``Allow`` for a method the endpoint does not take, a mutation sent by GET among them
(the spec's MUST: ``Allow: POST``). An ``operationName`` the document does not hold is a
request error like any other (200 for ``application/json``, 400 for
``application/graphql-response+json``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable, Coroutine, Mapping
from datetime import timedelta
from typing import Any, cast
from urllib.parse import unquote_to_bytes
from uuid import UUID, uuid4

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import NonJsonMessageReceived, WebSocketDisconnected
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from carecoord.graphql.context import CORRELATION_HEADER, OPERATION_CORRELATION, RequestContext
from carecoord.graphql.decimals import WrittenNumber
from carecoord.graphql.health_access import brief, in_full, may_scrape
from carecoord.graphql.message_rate import CLOSE_CODE as RATE_CLOSE_CODE
from carecoord.graphql.message_rate import REASON as RATE_REASON
from carecoord.graphql.message_rate import RULE as RATE_RULE
from carecoord.graphql.message_rate import MessageRate
from carecoord.graphql.metrics import NOT_RUN, OPERATION_SCOPE_KEY
from carecoord.graphql.request_body import Unsupported, check_body
from carecoord.graphql.schema import build_schema
from carecoord.graphql.sockets_per_user import CLOSE_CODE as SOCKETS_CLOSE_CODE
from carecoord.graphql.sockets_per_user import RULE as SOCKETS_RULE
from carecoord.graphql.sockets_per_user import Held, SocketsPerUser
from carecoord.graphql.status import health as health_body
from carecoord.graphql.status import pools
from carecoord.services.gate.suspensions import REVOKED_RULE, refusal, revoked_refusal
from carecoord.services.infrastructure.idempotency import HEADER, REPLAYED_HEADER
from carecoord.services.infrastructure.identity import ROLE_HEADER, quoted
from carecoord.services.infrastructure.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from carecoord.services.infrastructure.open_sockets import OpenSockets
from carecoord.services.infrastructure.record_watch import RecordWatch
from carecoord.services.kernel.errors import DomainError, Unauthenticated
from carecoord.services.platform import Platform
from carecoord.services.users.access import SUSPENDED_RULE, access_record, suspended_refusal
from graphql import GraphQLError, GraphQLFormattedError

log = logging.getLogger("carecoord.api")

MAX_BODY_BYTES = 1 << 20
"""A request body over this is refused (413) before it is read in full."""

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
_MEDIA_TYPE = "carecoord.media_type"
_REQUEST_ERROR = "carecoord.request_error"
_REFUSAL = "carecoord.refusal"
_HELD = "carecoord.socket_held"
"""Where the view keeps, in the request's scope, the media type chosen, whether the
request failed before it ran, how a socket was refused (its close code and reason), and
the socket's place in its user's count (``sockets_per_user.py``)."""
BAD_REQUEST = "BAD_REQUEST"
"""``extensions.code`` of a request refused before GraphQL saw it."""
METHODS = "GET, POST"
INIT_WAIT = timedelta(seconds=5)
"""How long a socket may stay open without its connection_init before it is closed (4408).
A client sends it as soon as the socket opens; Strawberry's default minute let anyone hold
sockets open unauthenticated twelve times longer (graphql-ws's own server waits 3 s)."""
MAX_OPERATIONS_PER_SOCKET = 100
"""Operations (subscriptions, and queries or mutations while they run) at once on one
socket; a new one past it is answered with an ``error`` naming the limit."""
OPERATIONS_LIMIT: GraphQLFormattedError = {
    "message": f"Subscription limit reached: at most {MAX_OPERATIONS_PER_SOCKET} operations"
    " run at once on one socket; complete one before subscribing again",
    "extensions": {"code": BAD_REQUEST, "rule": "operations-per-socket"},
}
SEND_WAIT = timedelta(seconds=10)
"""How long a message may wait for its socket to take it before the socket is dropped. A
client that stopped reading (its buffers full: megabytes unread) was kept for ever, its
subscriptions each holding a push decided for it, delivered whenever it read again, and
its place in its user's count; a close could not be sent to it either."""
STALLED_CLOSE = 1008
STALLED_RULE = "socket-not-reading"
STALLED_REASON = (
    f"BAD_REQUEST {STALLED_RULE}: a message waited {SEND_WAIT.seconds} s for this socket to read it"
)
STALLED_CLOSE_WAIT = timedelta(seconds=10)
"""How long a dropped socket's close frame waits for its client to read again: one that does
takes what was sent, then ``STALLED_CLOSE`` and the reason, where it read the connection's
end alone (1006, no reason). Its user's place is given back before."""
MAX_CLOSE_REASON_BYTES = 123
"""A websocket close frame's reason is at most this many bytes of UTF-8 (RFC 6455)."""


def response_media_type(accept: str) -> str:
    """``application/graphql-response+json`` when the client names it with a weight at least
    that of any range covering ``application/json``; else ``application/json``, also for
    ``*/*`` and for no ``Accept`` at all (the spec's legacy clients)."""
    wanted = 0.0
    legacy = 0.0
    for entry in accept.split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        media = media.lower()
        if media == GRAPHQL_RESPONSE:
            wanted = max(wanted, weight)
        elif media in (JSON, "application/*", "*/*"):
            legacy = max(legacy, weight)
    return GRAPHQL_RESPONSE if wanted > 0 and wanted >= legacy else JSON


def request_failed(result: ExecutionResult) -> bool:
    """The request never ran: parse, validation or variable-coercion errors, which carry no
    path; an error raised while running a field has one."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


class BoundedRequest(StarletteRequestAdapter):
    """Reads a request body only up to ``MAX_BODY_BYTES``: a client cannot make the API hold
    a body of any size in memory (a declared length over it is refused unread)."""

    @property
    def query_params(self) -> Mapping[str, str | None]:
        """A GET's parameters, each named once: of ``?query={a}&query={b}`` the last was
        run, while a proxy or log reading the first judged the other. Their bytes are UTF-8,
        as a body's must be: one that is not (``%FF``) was read as U+FFFD and run."""
        raw = unquote_to_bytes(self._request.scope.get("query_string", b""))
        try:
            raw.decode()
        except UnicodeDecodeError:
            raise HTTPException(400, "the query string is not UTF-8") from None
        params = self._request.query_params
        for name in params:
            if len(params.getlist(name)) > 1:
                raise HTTPException(400, f"the query string names {quoted(name)} twice")
        return params

    @property
    def content_type(self) -> str | None:
        """Media types are case-insensitive (RFC 9110): ``Application/JSON`` is JSON."""
        given = super().content_type
        return None if given is None else given.lower()

    async def get_body(self) -> bytes:
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _too_large()
        body = bytearray()
        async for chunk in self._request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise _too_large()
        return bytes(body)


class ExplainedClose(ASGIWebSocketAdapter):
    """Closes a socket refused at ``connection_init`` with the reason it was refused, which
    the client can show, instead of a bare ``Forbidden``, and the close code of the refusal
    (4403 for a token, 1013 for one socket too many); every reason cut to what a close
    frame carries (Strawberry's quote the client's message type or id whole).

    A message or close the client does not take within ``SEND_WAIT`` drops the socket: what
    waits to be sent fails (``WebSocketDisconnected``), the loop reading the client's
    messages is cancelled, and the handler ends as for a client gone, closing the socket
    with ``STALLED_CLOSE`` should its client read again (``close_stalled``)."""

    dropped = False
    _reading: asyncio.Task[Any] | None = None

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        """As Strawberry's, but a message the view cannot decode (its refusal is an HTTP
        error) closes the socket with 4400 as any other that is not JSON."""
        self._reading = asyncio.current_task()
        try:
            async for message in super().iter_json(ignore_parsing_errors=ignore_parsing_errors):
                yield message
        except HTTPException:
            raise NonJsonMessageReceived from None

    async def send_json(self, message: Any) -> None:
        await self._taken(super().send_json(message))

    async def close(self, code: int, reason: str) -> None:
        refused: tuple[int, str] | None = self.ws.scope.get(_REFUSAL) if code == 4403 else None
        if refused is not None:
            code, reason = refused
        await self._taken(super().close(code, close_reason(reason)))

    async def close_stalled(self) -> None:
        """Closes a dropped socket (``STALLED_CLOSE``) if its client reads again within
        ``STALLED_CLOSE_WAIT``; a close already begun is left to end."""
        if self.ws.application_state != WebSocketState.CONNECTED:
            return
        with contextlib.suppress(TimeoutError, WebSocketDisconnect):
            async with asyncio.timeout(STALLED_CLOSE_WAIT.total_seconds()):
                await super().close(STALLED_CLOSE, STALLED_REASON)

    async def _taken(self, sending: Coroutine[Any, Any, None]) -> None:
        """``sending``, once the client takes it within ``SEND_WAIT``; else the socket is
        dropped."""
        try:
            if self.dropped:
                raise WebSocketDisconnected
            async with asyncio.timeout(SEND_WAIT.total_seconds()):
                await sending
        except TimeoutError:
            self.dropped = True
            if self._reading is not None and self._reading is not asyncio.current_task():
                self._reading.cancel()
            raise WebSocketDisconnected from None
        finally:
            sending.close()  # not awaited when the socket was dropped already


class CheckedMessages(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """Closes the socket with 4400 and the reason, as the protocol asks, on a message of no
    shape it defines: Strawberry's handler indexes it as it comes and fails with a bare
    exception (no close frame, a traceback in the log). Each operation gets a correlation id
    of its own, as each HTTP request does. A socket sending messages faster than
    ``message_rate.py`` allows is closed (1008) before the one past it is handled."""

    _expiry: asyncio.Task[None] | None = None
    _suspension: asyncio.Task[None] | None = None
    _met_suspension: asyncio.Future[DomainError] | None = None
    _rate: MessageRate | None = None

    async def handle(self) -> None:
        """As Strawberry's; the socket's place in its user's count is given back however it
        ends (a close, a drop, the server stopping)."""
        try:
            await super().handle()
        except asyncio.CancelledError:
            handling = asyncio.current_task()
            if handling is None or not self._adapter().dropped:
                raise
            handling.uncancel()  # the drop's cancelling: the socket ends as a client gone
        finally:
            for watch in (self._expiry, self._suspension):
                if watch is not None:
                    watch.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watch
            held: Held | None = self.context.request.scope.pop(_HELD, None)
            if held is not None:
                await held.release()
            if self._adapter().dropped:
                log.info("socket dropped", extra={"code": BAD_REQUEST, "rule": STALLED_RULE})
                self.context.platform.metrics.refusals.labels(BAD_REQUEST, STALLED_RULE).inc()
                await self._adapter().close_stalled()

    def _adapter(self) -> ExplainedClose:
        return cast("ExplainedClose", self.websocket)

    async def handle_task_exception(self, error: Exception) -> None:
        """As Strawberry's (a traceback in the log), but quiet for an operation whose socket
        was dropped (``ExplainedClose``): each would log one."""
        if not isinstance(error, WebSocketDisconnected):
            await super().handle_task_exception(error)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """As Strawberry's; a socket acknowledged is closed when its token expires. A null
        payload is the protocol's "no payload" (graphql-transport-ws allows it): Strawberry
        closed it as malformed (4400), where a missing token is refused as such (4403)."""
        if message.get("payload", {}) is None:
            message = {**message, "payload": {}}
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._expiry is None:
            self._expiry = asyncio.create_task(self._close_when_expired())
            self._expiry.add_done_callback(self._task_done)
            self._met_suspension = asyncio.get_running_loop().create_future()
            self._suspension = asyncio.create_task(self._close_when_suspended())
            self._suspension.add_done_callback(self._task_done)

    async def _close_when_expired(self) -> None:
        """Closes the socket with 4403 and the token's refusal once the token has expired
        (its leeway counted): its subscriptions deliver nothing past then, and it stayed
        open, counted for its user, a session nobody could renew but by a new socket."""
        try:
            expires = self.context.token_expires()
            while expires is not None:  # woken before the wall clock reached it: again
                await asyncio.sleep(max(expires - time.time(), 0.0))
                expires = self.context.token_expires()
        except DomainError as refusal:
            await self.websocket.close(4403, refused_because(refusal))

    async def _close_when_suspended(self) -> None:
        """Ends the socket's operations, each with the refusal and ``complete``, and closes
        it (4403) once a program admin suspends its user, or reinstates them after its
        token was issued (``token-revoked``: suspended and reinstated between two asks, the
        watch never named the user suspended): asked again at every commit of any process
        (``RecordWatch``), so a suspension reaches an open socket at once."""
        platform = self.context.platform
        try:
            actor = self.context.actor()
            issued_at = self.context.gate.issued_at
        except DomainError:  # expired meanwhile: the expiry's watch closes the socket
            return
        if platform.suspended is None or actor is None:
            return
        record = access_record(actor.id)
        refusal = await self._until_ended(platform.suspended, record, issued_at)
        platform.metrics.refusals.labels(refusal.code, refusal.rule).inc()
        log.info("socket refused", extra={"code": refusal.code, "rule": refusal.rule})
        error: GraphQLFormattedError = {
            "message": refusal.message,
            "extensions": {"code": refusal.code, "field": refusal.field, "rule": refusal.rule},
        }
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
            await self.send_message(
                {"id": operation_id, "type": "next", "payload": {"errors": [error]}}
            )
            await self.send_message({"id": operation_id, "type": "complete"})
        await self.websocket.close(4403, refused_because(refusal))

    async def _until_ended(
        self, watch: RecordWatch, record: UUID, issued_at: int | None
    ) -> DomainError:
        """The refusal ending the socket, once the watch's answer ends its token, or an
        operation met one first (``send_message``)."""
        met = self._met_suspension or asyncio.get_running_loop().create_future()
        named = asyncio.ensure_future(watch.until(record, issued_at))
        try:
            await asyncio.wait((named, met), return_when=asyncio.FIRST_COMPLETED)
        finally:
            named.cancel()
        if met.done():
            return met.result()
        ended = refusal(named.result(), record, issued_at)
        assert ended is not None, "the watch answers once the token is ended"
        return ended

    async def send_message(self, message: Message) -> None:
        """As Strawberry's, but an operation's own ``user-suspended`` or ``token-revoked``
        refusal (a push, a decision, finding it before the socket's watch) is the watch's
        to send: the operation hands the socket over to it and waits to be ended with the
        others. Each sent its own, and an operation whose refusal the client was slow to
        take was refused twice."""
        ending = self._suspension
        met = self._met_suspension
        if (
            ending is not None
            and not ending.done()
            and asyncio.current_task() is not ending
            and met is not None
            and (refused := _ending_refusal(message)) is not None
        ):
            if not met.done():
                met.set_result(refused)
            await asyncio.Event().wait()  # cancelled as the watch ends the operation
        await super().send_message(message)

    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        OPERATION_CORRELATION.set(uuid4())  # in the operation's own task: its alone
        await super().run_operation(operation)

    async def handle_message(self, message: Message) -> None:
        if self._rate is None:
            self._rate = MessageRate()
        if not self._rate.take():
            await self._too_fast()
            return
        problem = malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
        elif (refused := self._past_the_limit(message)) is not None:
            await self.send_message(
                ErrorMessage(id=refused, type="error", payload=[OPERATIONS_LIMIT])
            )
        else:
            await super().handle_message(message)

    async def _too_fast(self) -> None:
        """Close the socket past its message rate, counted and logged as a socket refused."""
        self.context.platform.metrics.refusals.labels(BAD_REQUEST, RATE_RULE).inc()
        log.info("socket refused", extra={"code": BAD_REQUEST, "rule": RATE_RULE})
        await self.websocket.close(RATE_CLOSE_CODE, RATE_REASON)

    def _past_the_limit(self, message: Message) -> str | None:
        """The id of a new operation past ``MAX_OPERATIONS_PER_SOCKET`` running on this
        socket, which strawberry refuses with a bare ``Subscription limit reached`` (no
        code, no limit); None for any other message."""
        if message["type"] != "subscribe" or not self.connection_acknowledged:
            return None
        if message["id"] in self.operations or len(self.operations) < MAX_OPERATIONS_PER_SOCKET:
            return None
        return message["id"]


def malformed(message: object) -> str | None:
    """Why ``message`` is no graphql-transport-ws message; None when it may be one. Held to
    what the reference implementation (npm ``graphql-ws``) takes: an operation's id is a
    string of at least one character, and a ping's or pong's payload an object if any."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "a message must be a JSON object with a string type"
    kind = message["type"]
    if kind in ("ping", "pong"):
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return f"a {kind} message's payload must be a JSON object"
        return None
    if kind not in ("subscribe", "complete"):
        return None
    if not isinstance(message.get("id"), str) or not message["id"]:
        return f"a {kind} message needs a non-empty string id"
    return malformed_payload(message.get("payload")) if kind == "subscribe" else None


def malformed_payload(payload: object) -> str | None:
    """Why ``payload`` is no subscribe message's payload; None when it may be one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "a subscribe message's payload needs a query string"
    for name, expected, json_name in (
        ("variables", dict, "object"),
        ("extensions", dict, "object"),
        ("operationName", str, "string"),
    ):
        if payload.get(name) is not None and not isinstance(payload[name], expected):
            return f"a subscribe message's {name} must be a JSON {json_name}"
    return None


_ENDING: Mapping[str, Callable[[], DomainError]] = {
    SUSPENDED_RULE: suspended_refusal,
    REVOKED_RULE: revoked_refusal,
}


def _ending_refusal(message: Message) -> DomainError | None:
    """The refusal ending the socket that ``message``, an operation's result, carries
    (``user-suspended``, ``token-revoked``); None for any other message."""
    if message.get("type") != "next":
        return None
    errors = cast("Mapping[str, Any]", message).get("payload", {}).get("errors") or ()
    rules = [(e.get("extensions") or {}).get("rule") for e in errors]
    return next((ending() for rule, ending in _ENDING.items() if rule in rules), None)


def text_or_none(value: object) -> bool:
    """A string of Unicode text (a lone surrogate escaped in JSON, ``"\\ud800"``, is none),
    or None."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def refused_because(refusal: DomainError) -> str:
    """A socket's close reason for ``refusal``: ``<code> <rule>: <message>``."""
    return f"{refusal.code} {refusal.rule}: {refusal.message}"


def close_reason(text: str) -> str:
    """``text`` cut to what a close frame carries, never inside a character; a lone
    surrogate quoted from the client's message (a type of "\\ud800"), which UTF-8 cannot
    carry, as ``?``."""
    encoded = text.encode(errors="replace")
    if len(encoded) <= MAX_CLOSE_REASON_BYTES:
        return encoded.decode()
    return encoded[: MAX_CLOSE_REASON_BYTES - 3].decode(errors="ignore") + "..."


class NotAllowed(HTTPException):
    """A 405, with the methods that would be taken (the ``Allow`` header it must carry)."""

    def __init__(self, reason: str, allow: str = METHODS) -> None:
        super().__init__(405, reason)
        self.allow = allow


def refusal_response(refused: HTTPException, encode: Callable[[object], str]) -> Response:
    """A request refused before it ran, in GraphQL's JSON shape. Encoded as a result is: a
    reason may quote the client's own text, and a lone surrogate it escaped (an
    operationName of "\\ud800") is no UTF-8."""
    body = {"errors": [{"message": refused.reason, "extensions": {"code": BAD_REQUEST}}]}
    status = refused.status_code
    if status == 405 and not isinstance(refused, NotAllowed):  # strawberry's, for a method
        refused = NotAllowed("the GraphQL endpoint takes only GET and POST requests")
        body["errors"][0]["message"] = refused.reason
    headers = {"allow": refused.allow} if isinstance(refused, NotAllowed) else None
    if isinstance(refused, Unsupported):
        headers = refused.headers
    return Response(encode(body), status_code=status, media_type=JSON, headers=headers)


def _too_large() -> HTTPException:
    return HTTPException(413, f"the request body is over {MAX_BODY_BYTES} bytes")


class NotJson(ValueError):
    """A token Python's JSON reading would take and JSON has not (``NaN``, ``Infinity``)."""


def _no_constants(name: str) -> Any:
    raise NotJson(f"{name} is not JSON: write a number with its digits")


def _unparsed(error: ValueError | RecursionError) -> str:
    """Why a body is no JSON and where, in the parser's words, which quote none of it: the
    client was told only that it could not be parsed, with no way to find the mistake in a
    request of a hundred variables."""
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} (line {error.lineno}, column {error.colno})"
    if isinstance(error, NotJson):
        return str(error)
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if "digits" in str(error):  # Python's bound on an integer's digits
        return "a number with more digits than any value takes"
    return "not JSON"


class NamedTwice(ValueError):
    """A JSON object naming one member twice."""


def _named_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of a request's JSON, each member named once: of ``{"query": "{a}",
    "query": "mutation ..."}``, or an input naming ``amount`` twice, the last was taken,
    while a gateway, a WAF or an audit proxy reading the first judged another request."""
    taken = dict(pairs)
    if len(taken) < len(pairs):
        names = [name for name, _ in pairs]
        twice = next(name for name in names if names.count(name) > 1)
        raise NamedTwice(f"names {quoted(twice)} twice in one object")
    return taken


class CareGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's view, refusing malformed requests with a JSON error (never a 500).

    The request body must be UTF-8 JSON holding an object (a list is a batch, which
    Strawberry refuses), with no ``NaN`` or ``Infinity``, no member named twice in one
    object, nested no deeper than the parser can follow, and no bigger than
    ``MAX_BODY_BYTES``.
    """

    request_adapter_class = BoundedRequest
    websocket_adapter_class = ExplainedClose
    graphql_transport_ws_handler_class = CheckedMessages

    def __init__(self, platform: Platform) -> None:
        production = platform.settings.environment == "production"
        super().__init__(
            build_schema(production=production),
            graphql_ide=None if production else "graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=INIT_WAIT,
            max_subscriptions_per_connection=MAX_OPERATIONS_PER_SOCKET,
        )
        self.platform = platform
        self.sockets = SocketsPerUser(
            platform.settings.max_websockets_per_user,
            OpenSockets(platform.pool, platform.liveness, platform.tasks),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, but in the media type the client accepts (see the module's
        docstring), and a refused HTTP request is answered in GraphQL's JSON shape."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope=scope, receive=receive)
        media_type = response_media_type(request.headers.get("accept", ""))
        scope[_MEDIA_TYPE] = media_type
        try:
            response = await self.run(request)
        except HTTPException as refused:
            response = refusal_response(refused, self.encode_json)
            self._request_refused(response.status_code)
        except ClientDisconnect:
            return  # gone before its body arrived: nothing ran, and nobody is left to answer
        if response.headers.get("content-type", "").startswith(JSON):
            # the encoding named for either media type, as the spec asks
            response.headers["content-type"] = f"{media_type}; charset=utf-8"
            failed = scope.get(_REQUEST_ERROR) and response.status_code == 200
            if media_type == GRAPHQL_RESPONSE and failed:
                response.status_code = 400
            response.headers.setdefault("vary", "Accept")
            # a client's record, in a browser's disk cache after the session ended
            response.headers["cache-control"] = "no-store"
        await response(scope, receive, send)
        kind, name = scope.get(OPERATION_SCOPE_KEY, ("none", NOT_RUN))
        self.platform.metrics.request_served(kind, name, time.perf_counter() - started)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """As strawberry's, but a mutation sent by GET is refused 405 (``Allow: POST``), as
        the spec says it MUST be, and an operation name the document does not hold is a
        request error in the result (strawberry answered 400 even to ``application/json``
        clients, whom every other request error answers 200)."""
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as refused:
            cause = refused.__cause__
            if (
                isinstance(cause, InvalidOperationTypeError)
                and cause.operation_type is OperationType.MUTATION
                and request_adapter.method == "GET"
            ):
                raise NotAllowed(
                    "mutations are not allowed when using GET: send them by POST", allow="POST"
                ) from None
            if isinstance(cause, CannotGetOperationTypeError):
                extensions = {"code": "GRAPHQL_VALIDATION_FAILED"}
                said = cause.as_http_error_reason()
                if cause.operation_name is None:  # fragments only
                    said += ": the document holds no query, mutation or subscription"
                else:
                    extensions["field"] = "operationName"
                error = GraphQLError(said, extensions=extensions)
                return ExecutionResult(data=None, errors=[error])
            raise

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """As strawberry's, refusing a POST body it cannot read as declared with 415
        (``request_body.py``), and an ``operationName`` that is no string of text
        (strawberry looked it up as given, and answered that no operation had that name).
        An empty ``operationName`` is none, as the spec says (``?operationName=`` was
        answered 'Unknown operation named ""')."""
        if request.method == "POST":
            check_body(request.content_type, request.headers.get("content-encoding"))
        parsed = await super().parse_http_body(request)
        if isinstance(parsed, GraphQLRequestData) and not text_or_none(parsed.operation_name):
            raise HTTPException(
                400,
                "The GraphQL operation's `operationName` must be a string or null, if provided.",
            )
        if isinstance(parsed, GraphQLRequestData) and parsed.operation_name == "":
            parsed.operation_name = None
        return parsed

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Only where there is an IDE to show (not in production): a browser's GET without
        a query is otherwise answered as any GET without one, not with a 404 for the
        endpoint."""
        return self.graphql_ide is not None and super().should_render_graphql_ide(request)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """For ``application/graphql-response+json``, a request that never ran has no
        ``data`` entry (and answers 400, in ``__call__``)."""
        processed = await super().process_result(request, result)
        if request.scope.get(_MEDIA_TYPE) == GRAPHQL_RESPONSE and request_failed(result):
            request.scope[_REQUEST_ERROR] = True
            processed.pop("data", None)
        return processed

    def encode_json(self, data: object) -> str:
        """orjson: a 50-entry timeline page (16 kB) took 0.3 ms to encode with the standard
        library, 0.02 ms with orjson. Text, not bytes: websocket messages go out as text
        frames. What orjson does not encode (an integer past 64 bits) the standard library
        does."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
        """Strawberry passes a request body as bytes and query-string parameters as text. A
        number with a fraction or an exponent keeps its text (``decimals.WrittenNumber``)."""
        body = isinstance(data, bytes)
        try:
            text = data.decode() if isinstance(data, bytes) else data
            decoded = json.loads(
                text,
                parse_constant=_no_constants,
                parse_float=WrittenNumber,
                object_pairs_hook=_named_once,
            )
        except UnicodeDecodeError:
            raise HTTPException(400, "the request body is not UTF-8") from None
        except NamedTwice as twice:
            where = "the request body" if body else "the query string's variables or extensions"
            raise HTTPException(400, f"{where} {twice}") from None
        except (ValueError, RecursionError) as error:
            where = "the request body" if body else "the query string's variables or extensions"
            reason = _unparsed(error)
            raise HTTPException(400, f"unable to parse {where} as JSON: {reason}") from None
        if body and not isinstance(decoded, dict | list):
            raise HTTPException(
                400, 'the request body must be a JSON object: {"query": "...", "variables": {}}'
            )
        return decoded

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        context = RequestContext(self.platform, request, response)
        await context.prepare()
        return context

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """Refuse a socket whose token is bad at once, rather than at its first operation,
        one without a token (nothing is served without one, and such sockets, counted for no
        user, could be opened without end), one of a suspended user or of a token revoked
        by a suspension (``token-revoked``: its every operation would be refused, and the
        socket stayed open, counted for its user), and one its user opened past
        ``max_websockets_per_user``; the close frame (4403, 1013) says why:
        ``<code> <rule>: <message>``."""
        scope = context.request.scope
        await context.prepare()  # the payload's token: the upgrade's was at get_context
        try:
            actor = context.actor()
            if actor is None:
                raise Unauthenticated(
                    "authorization",
                    "token-required",
                    "send 'Authorization: Bearer <token>' in the connection_init payload",
                )
            await context.not_suspended()
        except DomainError as refusal:
            self._refused(context, refusal.code, refusal.rule, refusal.field)
            scope[_REFUSAL] = (4403, refused_because(refusal))
            raise ConnectionRejectionError({"message": refusal.message}) from None
        held = await self.sockets.hold(actor.id)
        if held is None:
            self._refused(context, BAD_REQUEST, SOCKETS_RULE, None)
            scope[_REFUSAL] = (SOCKETS_CLOSE_CODE, self.sockets.refusal)
            raise ConnectionRejectionError({"message": self.sockets.refusal})
        scope[_HELD] = held
        return await super().on_ws_connect(context)

    def _request_refused(self, status: int) -> None:
        """A request refused before GraphQL saw it (not JSON, a batch, a body over the
        limit, a method the endpoint does not take), counted and logged by its status as
        ``http-<status>``: a run of them (a misconfigured client, a probe) showed in no
        rate of refusals."""
        rule = f"http-{status}"
        self.platform.metrics.refusals.labels(BAD_REQUEST, rule).inc()
        log.info("request refused", extra={"code": BAD_REQUEST, "rule": rule})

    def _refused(self, context: RequestContext, code: str, rule: str, field: str | None) -> None:
        """A socket refused at its connection_init, counted and logged as an HTTP request's
        refusal is (``carecoord_refusals_total``, "request refused"): a bad or expired token
        over a websocket was neither, so a rate of them showed nowhere."""
        self.platform.metrics.refusals.labels(code, rule).inc()
        try:
            correlation: str | None = str(context.correlation_id())
        except DomainError:  # a malformed x-correlation-id
            correlation = None
        log.info(
            "socket refused",
            extra={"code": code, "rule": rule, "field": field, "correlation_id": correlation},
        )


def monitoring_routes(platform: Platform) -> list[Route]:
    """``/health`` and ``/metrics`` (Prometheus text), for the API and for the relay's and the
    projector's own small listener (``metrics_port``)."""

    async def health(request: Request) -> JSONResponse:
        try:
            full = await in_full(platform, request)
        except DomainError as refused:
            return unauthenticated(refused)
        body = await health_body(platform)
        # 503 for a stuck loop, which a restart may mend, or a database that does not
        # answer; a set-aside event needs an operator, not a restart, and a busy database
        # (every pooled connection out, the server answering) needs time, so the process
        # still reports itself serving then.
        down = body["stuckLoops"] or body["status"] == "unavailable"
        return JSONResponse(body if full else brief(body), status_code=503 if down else 200)

    async def metrics(request: Request) -> Response:
        try:
            may_scrape(platform, request)
        except DomainError as refused:
            return unauthenticated(refused)
        text = await platform.metrics.exposition(
            platform.store, platform.pool, platform.liveness, pools(platform)
        )
        return Response(text, media_type=METRICS_CONTENT_TYPE)

    return [Route("/health", health), Route("/metrics", metrics)]


def unauthenticated(refused: DomainError) -> JSONResponse:
    """401 for a monitoring route's refused token, naming the header and the rule, never
    quoting what was sent."""
    return JSONResponse(
        {"code": refused.code, "rule": refused.rule, "message": refused.message},
        status_code=401,
        headers={"www-authenticate": "Bearer"},
    )


def create_app(platform: Platform) -> Starlette:
    graphql = CareGraphQL(platform)
    return Starlette(
        routes=[
            Route("/graphql", graphql),  # any method: the view refuses the others (405)
            WebSocketRoute("/graphql", graphql),
            *monitoring_routes(platform),
        ],
        middleware=cross_origin(platform.settings.cors_origins),
    )


def cross_origin(origins: tuple[str, ...]) -> list[Middleware]:
    """CORS for the web origins ``CARECOORD_CORS_ORIGINS`` names: their pages may send the
    headers a request carries (token, role, idempotency key, correlation id) and read the
    answer's; no origin without it (a browser then refuses every other site's page the
    answer, and its preflight is answered 405). No cookies: a token goes in a header."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=[
                "authorization",
                "content-type",
                "accept",
                ROLE_HEADER,
                HEADER.lower(),
                CORRELATION_HEADER,
            ],
            expose_headers=[REPLAYED_HEADER.lower()],
            max_age=600,
        )
    ]


def create_monitoring_app(platform: Platform) -> Starlette:
    """What a process without the API serves: its health and its metrics."""
    return Starlette(routes=monitoring_routes(platform))
