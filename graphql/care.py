"""Enrollment through the API."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.graphql.context import RequestContext
from carecoord.graphql.idempotency import executed
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.unit_of_work import Command


@strawberry.input(description="A client to admit to a program.")
class EnrollClientInput:
    display_name: str
    program: str
    client_id: UUID | None = strawberry.field(
        default=None, description="Optional id from an upstream system; generated if omitted."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the client was admitted; now if omitted."
    )


@strawberry.type(
    description=(
        "What was recorded, and where to wait for it in the read models. A request sent with "
        "an `Idempotency-Key` header (1 to 255 printable ASCII characters) and sent again with "
        "the same key and body answers with this first recording, with the response header "
        "`Idempotent-Replayed: true`, and records nothing more; the same key on another "
        "request is refused (`idempotency-key-reused`)."
    )
)
class Recorded:
    id: UUID
    position: int = strawberry.field(
        description="Pass as `atLeast` to a query to read your own write."
    )


async def recorded(info: Info[RequestContext, None], command: Command[UUID]) -> Recorded:
    """Run ``command``; answer with the id it recorded and the position to wait for.

    With an ``Idempotency-Key`` header, a retry answers with the first outcome instead
    (``graphql/idempotency.py``).
    """
    outcome = await executed(info, command)
    return Recorded(id=outcome.result, position=outcome.position)


class ForClient(Protocol):
    """A mutation's input: a Strawberry input (a dataclass) about one client."""

    @property
    def client_id(self) -> UUID: ...


def fields_of(input: object) -> dict[str, object]:
    """A Strawberry input's fields (it is a dataclass) by their Python names."""
    if not dataclasses.is_dataclass(input) or isinstance(input, type):
        raise TypeError(f"not an input: {input!r}")
    return {f.name: getattr(input, f.name) for f in dataclasses.fields(input)}


async def admitted(
    info: Info[RequestContext, None],
    action: Action,
    command: Callable[..., Command[UUID]],
    input: ForClient,
    **given: object,
) -> Recorded:
    """Stamp ``action`` for ``input.client_id``, then record ``command(stamp, **fields)``.

    The fields are the input's own, under their names, with ``given`` adding or replacing
    those that need converting. The command's keyword names are not checked here but by the
    e2e tests, which send every mutation. ``given`` is evaluated before the stamp: keep a
    conversion that can refuse in the resolver, after it.
    """
    stamp = await info.context.gate.stamp(action, input.client_id)
    return await recorded(info, command(stamp, **(fields_of(input) | given)))


@strawberry.type
class CareMutation:
    @strawberry.mutation(description="Enroll a client in a program.")
    async def enroll_client(
        self, info: Info[RequestContext, None], input: EnrollClientInput
    ) -> Recorded:
        ctx = info.context
        stamp = await ctx.gate.stamp(Action.ENROLL_CLIENT)
        ctx.gate.manages(input.program)
        return await recorded(
            info,
            enroll_client(
                stamp,
                display_name=input.display_name,
                program=input.program,
                client_id=input.client_id,
                occurred_at=input.occurred_at,
            ),
        )
