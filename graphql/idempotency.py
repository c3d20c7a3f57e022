"""The ``Idempotency-Key`` header: a retried mutation answers with its first outcome.

A client that lost a response retries the same request with the same key and gets the
first answer back (with the response header ``Idempotent-Replayed: true``) instead of
recording again. Each mutation of a request is kept under ``<key>#<response key>`` (its
alias, or its field name), so a request with several mutations keeps one outcome each.
The key belongs to the actor and role that sent it; the same key on a different request
(another query text, operation name or variables) is refused with
``idempotency-key-reused``. How keys are kept: ``services/infrastructure/idempotency.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info

from carecoord.graphql.context import RequestContext
from carecoord.services.infrastructure.commands import Outcome
from carecoord.services.infrastructure.idempotency import (
    HEADER,
    REPLAYED_HEADER,
    IdempotencyKey,
    checked,
    request_digest,
    reused,
)
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.unit_of_work import Command
from graphql import print_ast

log = logging.getLogger("carecoord.api")

T = TypeVar("T")


async def executed(info: Info[RequestContext, None], command: Command[T]) -> Outcome[T]:
    """Run ``command`` on the bus, under the request's idempotency key when it sent one."""
    ctx = info.context
    key = idempotency_key(info)
    outcome = await ctx.platform.bus.execute(command, key=key)
    if outcome.replayed:
        _replayed(info, outcome)
    return outcome


async def first_outcome(info: Info[RequestContext, None]) -> Outcome[object] | None:
    """The outcome kept under this mutation's key, looked up before anything is run: a
    mutation of several commands keys its last, and a retry of it once done runs none (the
    same key on another request is refused, as ``executed`` refuses it)."""
    key = idempotency_key(info)
    if key is None:
        return None
    store = info.context.platform.store
    found = (await asyncio.to_thread(store.kept, [key])).get(key.scope)
    if found is None:
        return None
    if found.digest != key.digest:
        raise reused()
    outcome = Outcome(found.result, found.position, found.event_ids, replayed=True)
    _replayed(info, outcome)
    return outcome


def _replayed(info: Info[RequestContext, None], outcome: Outcome[Any]) -> None:
    ctx = info.context
    if isinstance(ctx.response, Response):
        ctx.response.headers[REPLAYED_HEADER] = "true"
    log.info(
        "idempotent mutation answered with its first outcome",
        extra={
            "correlation_id": str(ctx.correlation_id()),
            "actor": ctx.reader().id,
            "mutation": info.path.key,
            "position": outcome.position,
        },
    )


def idempotency_key(info: Info[RequestContext, None]) -> IdempotencyKey | None:
    """This mutation's key: the header's, scoped to the actor, role and response key."""
    request = info.context.request
    if not isinstance(request, Request):
        return None  # a websocket carries subscriptions, not retried mutations
    given = request.headers.getlist(HEADER)
    if not given:
        return None
    if len(given) > 1:
        raise InvalidInput(
            HEADER, "idempotency-key-format", f"send one {HEADER} header, not several"
        )
    actor = info.context.reader()
    return IdempotencyKey(
        actor_id=actor.id,
        role=actor.role.value,
        key=f"{checked(given[0])}#{info.path.key}",
        digest=_digest(info),
    )


def operation_digest(
    document: str, operation_name: str | None, variables: Mapping[str, object]
) -> str:
    """The digest a key keeps of its request: the document, the operation's name and the
    variables as coerced for it (so JSON spacing and key order make no difference)."""
    return request_digest(
        {
            "query": document,
            "operationName": operation_name,
            "variables": {k: _plain(v) for k, v in variables.items()},
        }
    )


def _digest(info: Info[RequestContext, None]) -> str:
    operation = info.operation
    document = operation.loc.source.body if operation.loc else print_ast(operation)
    name = operation.name.value if operation.name else None
    return operation_digest(document, name, info.variable_values)


def _plain(value: object) -> object:
    """Coerced variable values as JSON (ids, dates and decimals as their text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(getattr(value, "value", value))
