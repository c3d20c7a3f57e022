"""Resolvers declared, not written: most mutations stamp an action, make a command of their
input and record it, and most client queries read a client's rows as the reader's grant
shows them. Each such field names what differs (the action and command, the view and the
reader) and one resolver here does the rest; Strawberry reads the signature given to it,
so the schema is the one a written resolver would have.

Also here, what every mutation answers (``Recorded``), and the values made of others by
the names of their fields (a command's value of an input, a GraphQL type of a row).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from types import GenericAlias
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events import Kind
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.graphql.idempotency import executed
from carecoord.graphql.seqs import Seq
from carecoord.projections import careteam
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.policy import Grant, Listing
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.platform import Platform

D = TypeVar("D")
R = TypeVar("R", bound=Mapping[str, Any])

Answer = Callable[[Info[RequestContext, None], Command[Any]], Awaitable[Any]]
"""Runs a mutation's command and shapes its answer (``recorded``, or one of its own)."""
Build = Callable[[RequestContext, Any], Awaitable[Command[Any]]]
"""Makes the command of a mutation's input, stamped for the caller."""
Converter = Callable[[Any], object]
"""One command argument made of a mutation's input."""

KEYWORD = inspect.Parameter.KEYWORD_ONLY
INFO = inspect.Parameter("info", KEYWORD, annotation=Info[RequestContext, None])
CLIENT_ID = inspect.Parameter("client_id", KEYWORD, annotation=UUID)
AT_LEAST = inspect.Parameter("at_least", KEYWORD, annotation=AtLeast, default=None)


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
    position: Seq = strawberry.field(
        description="Pass as `atLeast` to a query to read your own write."
    )


async def recorded(info: Info[RequestContext, None], command: Command[UUID]) -> Recorded:
    """Run ``command``; answer with the id it recorded and the position to wait for.

    With an ``Idempotency-Key`` header, a retry answers with the first outcome instead
    (``graphql/idempotency.py``).
    """
    outcome = await executed(info, command)
    return Recorded(id=outcome.result, position=Seq(outcome.position))


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    """The field names of dataclass ``cls``, worked out once."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def fields_of(input: object) -> dict[str, Any]:
    """A Strawberry input's fields (it is a dataclass) by their Python names."""
    if not dataclasses.is_dataclass(input) or isinstance(input, type):
        raise TypeError(f"not an input: {input!r}")
    return {name: getattr(input, name) for name in _names(type(input))}


def into(cls: type[D], given: object, **converted: object) -> D:
    """A ``cls`` (a dataclass: a command's value, a Strawberry type) of ``given``, an object
    or a row, by the names they share; ``converted`` gives the fields whose shape or name
    differs."""
    names = _names(cls)
    if isinstance(given, Mapping):
        values = {name: given[name] for name in names if name in given}
    else:
        values = {name: getattr(given, name) for name in names if hasattr(given, name)}
    return cls(**(values | converted))


def built(cls: type[D], **converters: Converter) -> Callable[[Any], D]:
    """``into(cls, input)`` as a converter, each of ``converters`` making its field."""
    return lambda given: into(cls, given, **{n: c(given) for n, c in converters.items()})


def arguments_of(
    input: object, fields: Iterable[str] | None, given: Mapping[str, Converter]
) -> dict[str, object]:
    """A command's keyword arguments of a mutation's input: its fields under their names
    (only those named in ``fields``, if given), ``given``'s conversions adding or replacing."""
    own = fields_of(input)
    chosen = own if fields is None else {name: own[name] for name in fields}
    return chosen | {name: convert(input) for name, convert in given.items()}


def the_client(given: Any) -> tuple[UUID]:
    """Whom a mutation's input is about: its ``client_id``."""
    return (given.client_id,)


def medication_rules(platform: Platform) -> object:
    return platform.medication


def alert_rules(platform: Platform) -> object:
    return platform.alert_rules


def returned(function: Callable[..., Any]) -> Any:
    """What ``function`` is annotated to return (its annotations may be strings)."""
    return inspect.signature(function, eval_str=True).return_annotation


def own_arguments(read: Callable[..., Any], taken: int) -> list[inspect.Parameter]:
    """The parameters of ``read`` after its first ``taken``: a declared query's own
    arguments (``read`` is what answers it)."""
    return list(inspect.signature(read, eval_str=True).parameters.values())[taken:]


def resolved_by(
    field: Callable[..., Any],
    description: str,
    resolve: Callable[..., Awaitable[Any]],
    arguments: Iterable[inspect.Parameter],
    returns: object,
) -> Any:
    """The Strawberry ``field`` (``strawberry.field``, ``strawberry.mutation``) resolved by
    ``resolve``, whose signature Strawberry reads is ``info``, the field's ``arguments`` in
    order, and ``returns``."""
    parameters = [INFO, *(a.replace(kind=KEYWORD) for a in arguments)]
    signature = inspect.Signature(parameters, return_annotation=returns)
    resolve.__signature__ = signature  # type: ignore[attr-defined]
    return field(resolver=resolve, description=description)


def mutation(description: str, input_type: type, build: Build, answer: Answer = recorded) -> Any:
    """The mutation ``(input: input_type)``: ``build`` makes the command of the input,
    ``answer`` runs it and answers (its return type, nullable, is the mutation's).

    Nullable because a document's mutations run one after another and each records its
    own: were one refused, a non-null answer would null the whole ``data``, and the
    caller would not learn what the others recorded (and record it again)."""

    async def resolve(info: Info[RequestContext, None], input: object) -> object:
        return await answer(info, await build(info.context, input))

    input_argument = inspect.Parameter("input", KEYWORD, annotation=input_type)
    return resolved_by(
        strawberry.mutation, description, resolve, [input_argument], returned(answer) | None
    )


def client_mutation(
    description: str,
    action: Action,
    command: Callable[..., Command[Any]],
    input_type: type,
    *,
    answer: Answer = recorded,
    rules: Callable[[Platform], object] | None = None,
    alerting: bool = False,
    fields: Iterable[str] | None = None,
    clients: Callable[[Any], Iterable[UUID]] = the_client,
    client_field: str = "clientId",
    **given: Converter,
) -> Any:
    """The mutation that stamps ``action`` for the input's ``clients``, then records
    ``command(stamp, **arguments)`` and answers with ``answer``. A client the stamp refuses
    is named by ``client_field``, its ``{n}`` their place in ``clients`` (the first, if named
    twice): ``clientIds.{n}`` for a group's list.

    The arguments are ``arguments_of`` the input, and ``rules``, the platform's rules the
    command decides by; with ``alerting``, the platform's alert table as ``alert_rules`` too,
    for a command deciding by other rules whose record may raise an alert. The conversions
    run once the stamp is made: a caller the action is not for is refused before their input
    is looked at. The command's keyword names are
    not checked here but by the e2e tests, which send every mutation.
    """
    names = None if fields is None else tuple(fields)

    async def build(ctx: RequestContext, input: object) -> Command[Any]:
        named = list(clients(input))
        fields = {c: client_field.format(n=n) for n, c in reversed(list(enumerate(named)))}
        stamp = await ctx.gate.stamp(action, *named, fields=fields)
        arguments = arguments_of(input, names, given)
        if rules is not None:
            arguments["rules"] = rules(ctx.platform)
        if alerting:
            arguments["alert_rules"] = ctx.platform.alert_rules
        return command(stamp, **arguments)

    return mutation(description, input_type, build, answer)


alerting_mutation = partial(client_mutation, rules=alert_rules)
"""A mutation whose command the alert rules judge: what it records may raise an alert."""


def client_query(
    description: str,
    view: str,
    read: Callable[..., Awaitable[list[R]]],
    shape: Callable[[R], object],
    *,
    needs: Kind | None = None,
    kinds: Callable[[list[R]], Iterable[str]] | None = None,
    checks: Callable[..., None] | None = None,
) -> Any:
    """The query ``(clientId, ..., atLeast)`` of a client's rows of read model ``view``,
    each answered as ``shape`` makes it (its return type, listed, is the query's); the
    read is logged under the query's name (``RequestContext.client_rows``, which takes
    ``needs`` and ``kinds``). ``checks(**arguments)`` refuses the query's own arguments
    once the grant is asked, before anything is read or logged.

    ``read(ctx, client_id, grant, ...)`` reads the rows ``grant`` shows; its parameters
    after those three are the query's own arguments, between ``clientId`` and ``atLeast``.
    """

    async def resolve(
        info: Info[RequestContext, None], client_id: UUID, at_least: int | None = None, **own: Any
    ) -> list[object]:
        ctx = info.context
        rows = await ctx.client_rows(
            client_id,
            info.field_name,
            view,
            at_least,
            lambda grant: read(ctx, client_id, grant, **own),
            needs=needs,
            kinds=kinds,
            checked=None if checks is None else partial(checks, **own),
        )
        return [shape(r) for r in rows]

    arguments = [CLIENT_ID, *own_arguments(read, 3), AT_LEAST]
    returns = GenericAlias(list, returned(shape))
    return resolved_by(strawberry.field, description, resolve, arguments, returns)


def listing_query(
    description: str,
    listing: Listing,
    read: Callable[..., Awaitable[Any]],
    *views: str,
    waits: inspect.Parameter = AT_LEAST,
) -> Any:
    """The query ``(..., atLeast)`` of a listing for the roles ``listing`` admits, answered
    by ``read(ctx, ...)`` once each of the read models ``views`` has ``atLeast`` (``waits``
    declares it), and the care-team view too for a reader the listing keeps to their care
    team (another projector may keep it: ``project --share``); read's parameters after the
    context are the query's own arguments, and its return type the query's."""

    async def resolve(
        info: Info[RequestContext, None], at_least: int | None = None, **own: Any
    ) -> object:
        ctx = info.context
        team_only = ctx.gate.require(listing)
        for view in (careteam.NAME, *views) if team_only else views:
            await ctx.caught_up(view, at_least)
        return await read(ctx, **own)

    arguments = [*own_arguments(read, 1), waits]
    return resolved_by(strawberry.field, description, resolve, arguments, returned(read))


def shown_rows(
    read: Callable[..., Awaitable[list[R]]],
) -> Callable[[RequestContext, UUID, Grant], Awaitable[list[R]]]:
    """The reader of ``client_query`` for a view's ``read(pool, client_id, shown)``."""
    return lambda ctx, client_id, grant: read(ctx.platform.reads, client_id, ctx.shown(grant))
