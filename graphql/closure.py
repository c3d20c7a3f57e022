"""``closeProgram``: a program admin closes their program for a day or some hours, and every
session of its clients beginning then and not yet begun is cancelled
(``services/therapy/closure.py``); the answer counts them and names none.
``liftProgramClosure`` lifts one closed in error."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import cast
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import Recorded, recorded
from carecoord.graphql.idempotency import executed, first_outcome
from carecoord.graphql.seqs import Seq
from carecoord.services.infrastructure.commands import Outcome
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.therapy import closure


@strawberry.input(description="Close the program your token names, from one time until another.")
class CloseProgramInput:
    from_: datetime = strawberry.field(
        name="from",
        description=(
            "Sessions beginning from then (and not yet begun) are cancelled, and none is"
            " booked to begin in the span from then on (program-closed)."
        ),
    )
    until: datetime = strawberry.field(
        description=(
            "Sessions beginning before then; after from (until-after-from), at most"
            f" {closure.LONGEST_CLOSURE.days} days after it (closure-span), and after now"
            " (closure-over)."
        )
    )
    note: str = strawberry.field(
        default="",
        description=(
            "Optional, at most 500 characters (closure-note): why, kept on the closure and on"
            " each cancellation, withheld as a clinical note is."
        ),
    )


@strawberry.type(description="A closure: how many sessions and clients it cancelled, not which.")
class ProgramClosure:
    id: UUID = strawberry.field(description="The closure's record (ProgramClosed).")
    position: Seq = strawberry.field(
        description="Pass as `atLeast` to a query to read your own write."
    )
    sessions_cancelled: int = strawberry.field(
        description="Sessions this request cancelled (a group session once)."
    )
    clients_cancelled: int = strawberry.field(
        description="Clients whose sessions this request cancelled."
    )


async def close_program(
    info: Info[RequestContext, None], input: CloseProgramInput
) -> ProgramClosure | None:
    """Refused before anything is cancelled where the span or note is; sent again with its
    ``Idempotency-Key`` once done, answered with its first outcome and nothing run."""
    stamp = await info.context.gate.stamp(Action.CLOSE_PROGRAM)
    span = closure.closure_span(stamp, input.from_, input.until, input.note)
    outcome = await first_outcome(info) or await _closed(info, stamp, span, input.note)
    found = cast("closure.Closure", outcome.result)
    return ProgramClosure(
        id=found.id,
        position=Seq(outcome.position),
        sessions_cancelled=found.sessions,
        clients_cancelled=found.clients,
    )


async def _closed(
    info: Info[RequestContext, None], stamp: Stamp, span: closure.Span, note: str
) -> Outcome[closure.Closure]:
    """The closure declared first, so no session is booked in it from then on; then each
    client's sessions cancelled in a transaction of their own, all sent at once, the clients
    listed once it is declared (one enrolled since is refused a booking in it); then the
    closure recorded under the request's key. One client's refusal (another process writing
    their record each time) refuses the closure once the others are done
    (``closure.settled``), and sent again it cancels what is left."""
    ctx = info.context
    program = ctx.gate.closing_program()
    await ctx.platform.bus.execute(closure.declare_closure(stamp, program=program, span=span))
    clients = await ctx.gate.program_clients(program)
    outcomes = await asyncio.gather(
        *(
            ctx.platform.bus.execute(
                closure.cancel_within(stamp, client_id=c, program=program, span=span, note=note)
            )
            for c in clients
        ),
        return_exceptions=True,
    )
    cancelled = closure.settled([o if isinstance(o, BaseException) else o.result for o in outcomes])
    command = closure.record_closure(
        stamp, program=program, span=span, note=note, cancelled=cancelled
    )
    try:
        return await executed(info, command)
    except InvalidInput as refusal:
        if refusal.rule != "idempotency-key-reused" or not cancelled:
            raise
        raise closure.key_taken(cancelled) from refusal


@strawberry.input(description="Lift a closure of the program your token names, made in error.")
class LiftProgramClosureInput:
    from_: datetime = strawberry.field(name="from", description="The closure's from, as sent.")
    until: datetime = strawberry.field(description="The closure's until, as sent.")
    reason: str = strawberry.field(
        description="Why it is lifted: 1 to 500 characters (lift-reason), kept on the closure."
    )


async def lift_program_closure(
    info: Info[RequestContext, None], input: LiftProgramClosureInput
) -> Recorded | None:
    """Lift the closure of the span ``from``-``until``: sessions are booked in it again;
    those it cancelled stay cancelled, to be booked again."""
    gate = info.context.gate
    stamp = await gate.stamp(Action.LIFT_PROGRAM_CLOSURE)
    span = closure.Span(input.from_, input.until)
    command = closure.lift_closure(
        stamp, program=gate.closing_program(), span=span, reason=input.reason
    )
    return await recorded(info, command)
