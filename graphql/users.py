"""``suspendUser`` and ``reinstateUser``: a program admin ends a user's access at once (a
staff member who left, a token stolen) and gives it back; ``userAccessChanges`` shows
auditors and admins who did either, when and why (``services/users/``).

Every operation of a suspended user, over HTTP or a websocket, is refused before it runs
(``NotSuspended``), decided on the store itself; an open socket of theirs ends its
operations with the refusal and is closed (``graphql/app.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from enum import StrEnum

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import Info
from strawberry.types.graphql import OperationType

from carecoord.events.envelope import type_name
from carecoord.events.users import REASON_MAX, UserSuspended, user_record_id
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.graphql.declared import Recorded, recorded
from carecoord.graphql.seqs import Seq
from carecoord.projections import timeline
from carecoord.projections import user_access as view
from carecoord.services.gate.user_programs import manages_user
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import DomainError
from carecoord.services.kernel.policy import Listing
from carecoord.services.users import commands
from carecoord.services.users.access import user_named
from graphql import ExecutionResult, GraphQLError

HISTORY_MAX = 500
"""The most changes of one user's access answered at once."""


class NotSuspended(SchemaExtension):
    """Refuses every operation of a suspended user before it runs (``user-suspended``): a
    query, a mutation, a subscription's start. A bad or missing token is left to the gate,
    which refuses it as before."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if isinstance(context, RequestContext):
            try:
                await context.not_suspended()
            except DomainError as refusal:
                if execution.operation_type is OperationType.SUBSCRIPTION:
                    raise  # a subscription's stream sends what its start raised, shaped
                # A result set here is answered instead of running the operation, and
                # shaped and logged as any refusal is.
                error = GraphQLError(refusal.message, original_error=refusal)
                execution.result = ExecutionResult(data=None, errors=[error])
        yield


@strawberry.input(description="The user whose access is suspended or reinstated, and why.")
class UserAccessInput:
    user_id: str = strawberry.field(
        description="The user's id as their tokens carry it (`sub`): trimmed, printable; a"
        " UUID (a client's id) in any letters' case."
    )
    reason: str = strawberry.field(
        description=f"Why: required, printable, at most {REASON_MAX} characters; shown to"
        " auditors and the program's admins."
    )


@strawberry.enum(description="What a change did to the user's access.")
class UserAccessChangeKind(StrEnum):
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"


@strawberry.type(description="A suspension or reinstatement of a user's access.")
class UserAccessChange:
    change: UserAccessChangeKind
    occurred_at: datetime
    by: str = strawberry.field(description="The program admin's opaque user id.")
    reason: str | None
    program: str | None = strawberry.field(description="The program the admin's token named.")
    position: Seq


async def _decided(
    info: Info[RequestContext, None], input: UserAccessInput, action: Action
) -> Recorded:
    gate = info.context.gate
    user = user_named(input.user_id)
    await manages_user(gate, user)
    stamp = gate.stamp_user(action, user)
    build = commands.suspend if action is Action.SUSPEND_USER else commands.reinstate
    return await recorded(
        info, build(stamp, user_id=user, reason=input.reason, program=gate.program)
    )


async def suspend_user(info: Info[RequestContext, None], input: UserAccessInput) -> Recorded:
    return await _decided(info, input, Action.SUSPEND_USER)


async def reinstate_user(info: Info[RequestContext, None], input: UserAccessInput) -> Recorded:
    return await _decided(info, input, Action.REINSTATE_USER)


@strawberry.type
class UserAccessMutation:
    suspend_user = strawberry.mutation(
        resolver=suspend_user,
        description="Suspend a user's access at once (program admins): from then on every"
        " request and open websocket of the user id is refused (FORBIDDEN, user-suspended),"
        " whatever token it carries, in every API process. Refused for yourself (not-self),"
        " for a user suspended already (already-suspended), and to an admin whose token"
        " names a program for a user on no care team of its clients (admin-program)."
        " Returns the id of the user's access record.",
    )
    reinstate_user = strawberry.mutation(
        resolver=reinstate_user,
        description="Reinstate a suspended user (program admins): their tokens are taken"
        " again, each until it expires. Refused for a user not suspended (not-suspended), and"
        " to an admin whose token names a program for a user on no care team of its"
        " clients, or suspended by an admin of another program (admin-program).",
    )


@strawberry.type
class UserAccessQuery:
    @strawberry.field(
        description="Who suspended and reinstated a user, when and why, in the order recorded"
        f" (auditors and program admins, an admin whose token names a program for that"
        f" program's users only; at most {HISTORY_MAX})."
    )
    async def user_access_changes(
        self, info: Info[RequestContext, None], user_id: str, at_least: AtLeast = None
    ) -> list[UserAccessChange]:
        ctx = info.context
        ctx.gate.require(Listing.USER_ACCESS)
        user = user_named(user_id)
        await manages_user(ctx.gate, user)
        await ctx.caught_up(timeline.NAME, at_least)
        rows = await view.changes(ctx.platform.reads, user_record_id(user), HISTORY_MAX)
        return [
            UserAccessChange(
                change=UserAccessChangeKind.SUSPENDED
                if r["type"] == type_name(UserSuspended)
                else UserAccessChangeKind.REINSTATED,
                occurred_at=r["occurred_at"],
                by=r["actor_id"],
                reason=r["reason"],
                program=r["program"],
                position=Seq(r["position"]),
            )
            for r in rows
        ]
