"""What could a user see at a time T: for auditors, rebuilt from the client's events in the
store (``projections/audit/access_as_of.py``), not from today's read models.

It is a read of the client's record and is access-logged like any other (refused ones too).
Entries are shown as the auditor may see them: a summary of a kind the auditor's own grant
does not show (an SUD counseling note) is left out, never its content.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events import Actor, CareEvent, Kind, Role
from carecoord.events.access import Basis
from carecoord.events.consent import ExpiryEvent
from carecoord.graphql import (
    access,  # noqa: F401  (registers the GraphQL `Role` and `AccessBasis` enums)
    log_pages,
)
from carecoord.graphql.audit import ClientRecordVerification
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import into
from carecoord.graphql.log_pages import MAX_ROWS, After, First, Key, LogOrder, instant, paged
from carecoord.graphql.page_info import PageInfo
from carecoord.graphql.seqs import Seq
from carecoord.graphql.timeline import RecordedBy
from carecoord.projections.audit.access_as_of import AccessAsOf, Consent
from carecoord.projections.audit.export import ClientRecord
from carecoord.projections.audit.history import Unreadable, client_history
from carecoord.services.alerts.rules import AlertRules
from carecoord.services.infrastructure.chain_verification import verify_client
from carecoord.services.infrastructure.identity import PROGRAM_MAX, client_subject, names_a_program
from carecoord.services.kernel.clinical_time import happened
from carecoord.services.kernel.errors import Forbidden, InvalidInput, NotFound
from carecoord.services.kernel.policy import Grant, Listing
from carecoord.services.kernel.user_ids import subject_asked

OPERATION = "accessAsOf"
TIMELINE_ORDER = LogOrder(OPERATION, ("occurred_at", "position"), (instant, log_pages.bigint))
"""The timeline's clinical order, as ``AccessAsOf.timeline`` sorts it."""


@strawberry.type(description="A care-team membership of the user, as recorded by T.")
class MembershipAsOf:
    role: Role
    started_at: datetime
    ended_at: datetime | None
    in_force: bool = strawberry.field(description="Counted at T in the role asked about.")


@strawberry.type(description="A consent naming the user, as recorded by T.")
class ConsentAsOf:
    consent_id: UUID
    purpose: str
    data_kinds: list[str]
    expires_at: datetime | None
    expires_on: ExpiryEvent | None = strawberry.field(
        description="The event the platform records that ends it (DISCHARGE), if any."
    )
    revoked_at: datetime | None
    expired_at: datetime | None = strawberry.field(
        description="When it had stopped granting by its own terms by T: its `expiresAt` once"
        " T passed it, or the client's discharge recorded by T for one until discharge,"
        " whichever came first; null while neither had, as `consents` reads it."
    )
    expired_by: str | None = strawberry.field(
        description="Why it had expired by T: `expires_at` (its date) or `discharge`; null"
        " while in force."
    )
    in_force: bool


@strawberry.type(description="An emergency access by the user, as recorded by T.")
class BreakGlassAsOf:
    access_id: UUID
    role: Role
    used_at: datetime
    expires_at: datetime
    in_force: bool


@strawberry.type(description="The grant the read policy decides on the standing at T.")
class GrantAsOf:
    basis: Basis
    kinds: list[str]
    authored_kinds: list[str] = strawberry.field(description="Seen only where they are author.")
    consent_ids: list[UUID]
    break_glass_id: UUID | None
    valid_until: datetime | None
    policy_version: str = strawberry.field(description="Today's policy, applied to T's standing.")

    @classmethod
    def of(cls, grant: Grant) -> GrantAsOf:
        return into(
            cls,
            grant,
            kinds=sorted(grant.kinds),
            authored_kinds=sorted(grant.authored),
            consent_ids=list(grant.consent_ids),
        )


@strawberry.type(description="The policy's refusal at T: what it would have answered.")
class RefusalAsOf:
    rule: str
    message: str
    field: str = strawberry.field(description="The argument it names, as the live read's.")


@strawberry.type(description="An entry of the timeline the user would have been shown.")
class EntryAsOf:
    position: Seq
    event_id: UUID
    type: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: RecordedBy
    summary: str | None = strawberry.field(
        description="None where your own grant does not show the kind (counseling notes);"
        " without the free text it ends with where the user was not shown that text."
    )
    withheld: list[str] = strawberry.field(
        description="Free-text fields the user would have been shown the entry without, as"
        " the timeline's `withheld` names them; empty where everything was shown."
    )


@strawberry.type(description="What a user could see of a client at a time, from the log.")
class AccessAsOfView:
    user_id: str
    role: Role
    client_id: UUID
    at: datetime
    memberships: list[MembershipAsOf]
    consents: list[ConsentAsOf]
    break_glass_uses: list[BreakGlassAsOf]
    grant: GrantAsOf | None
    refusal: RefusalAsOf | None
    timeline: list[EntryAsOf] = strawberry.field(
        description="In clinical order, as the timeline read with asOf T would show it: whole"
        f" (at most {MAX_ROWS} entries) or a page at a time with first and after."
    )
    record: ClientRecordVerification = strawberry.field(
        description="The client's events checked against the event store's hash chain, as"
        " verifyClientRecord checks them: an answer rebuilt from a record not intact (an"
        " event altered, deleted or inserted) is no proof of what could be seen."
    )
    page_info: PageInfo | None = strawberry.field(
        default=None, description="Where the timeline's next page starts."
    )


def _view(
    found: AccessAsOf,
    user: Actor,
    auditor: Actor,
    own: Grant,
    rules: AlertRules,
    chained: ClientRecordVerification,
    program: str | None = None,
) -> AccessAsOfView:
    at = found.at
    try:
        grant: Grant | None = found.grant(user, program)
        refusal = None
    except Forbidden as refused:
        grant = None
        refusal = RefusalAsOf(rule=refused.rule, message=str(refused), field=refused.field)
    shown = [] if grant is None else found.timeline(grant, user, rules.shown_to(grant.kinds))
    record = None if grant is None else ClientRecord.shown(found.client_id, shown, grant, user)
    withheld = {} if record is None else record.withheld
    return AccessAsOfView(
        user_id=user.id,
        role=user.role,
        client_id=found.client_id,
        at=at,
        memberships=[
            MembershipAsOf(
                role=m.role,
                started_at=m.started_at,
                ended_at=m.ended_at,
                in_force=m.role is user.role and m.holds(at),
            )
            for m in found.memberships_of(user.id)
        ],
        consents=[_consent(c, at) for c in found.consents_naming(user.id)],
        break_glass_uses=[
            BreakGlassAsOf(
                access_id=e.access_id,
                role=e.role,
                used_at=e.occurred_at,
                expires_at=e.expires_at,
                in_force=e.role is user.role and at < e.expires_at,
            )
            for e in found.emergencies_of(user.id)
        ],
        grant=None if grant is None else GrantAsOf.of(grant),
        refusal=refusal,
        timeline=[
            EntryAsOf(
                position=Seq(item.position),
                event_id=item.event.event_id,
                type=item.event.type,
                kind=item.event.kind.value,
                occurred_at=item.event.occurred_at,
                recorded_at=item.event.recorded_at,
                recorded_by=RecordedBy(id=item.event.actor.id, role=item.event.actor.role.value),
                summary=_line(item.event, withheld.get(item.position, ()))
                if own.shows(item.event.kind, authored_by_reader=item.event.actor.id == auditor.id)
                else None,
                withheld=list(withheld.get(item.position, ())),
            )
            for item in shown
        ],
        record=chained,
    )


def _line(event: CareEvent, withheld: tuple[str, ...]) -> str:
    """The summary line as the user's timeline read it: without the text it ends with
    where that text was withheld from them (``TimelineEntry.of``)."""
    line = event.summary()
    if event.summary_text in withheld:
        return type(event).summary_withheld(line, event.facts())
    return line


async def page_of(
    timeline: list[EntryAsOf], first: int | None, after: str | None
) -> tuple[list[EntryAsOf], PageInfo]:
    """The page of the timeline ``first`` and ``after`` ask for (``log_pages.paged``)."""
    places = [{"occurred_at": e.occurred_at, "position": e.position} for e in timeline]

    async def after_place(place: Key | None, limit: int) -> list[dict[str, Any]]:
        start = 0
        if place is not None:
            start = sum(1 for r in places if (r["occurred_at"], r["position"]) <= place)
        return places[start : start + limit]

    page, page_info = await paged(TIMELINE_ORDER, first, after, after_place)
    done = 0 if not page else places.index(page[0])
    return timeline[done : done + len(page)], page_info


def too_many(found: AccessAsOf, user_id: str) -> InvalidInput | None:
    """The refusal of a user named by more consents, memberships or emergency accesses than
    one read answers (recorded over years, each is read a period at a time from the client's
    own lists); None when each fits."""
    lists = (
        (found.consents_naming, "consents name the user", "consents, recordedFrom and recordedTo"),
        (found.memberships_of, "care-team memberships are the user's", "careTeam, startedFrom"
         " and startedTo"),
        (found.emergencies_of, "emergency accesses are the user's", "breakGlassUses, since and"
         " before"),
    )  # fmt: skip
    for rows, said, instead in lists:
        if len(rows(user_id)) > log_pages.MAX_ROWS:
            return InvalidInput(
                "userId",
                "rows-at-most",
                f"more than {log_pages.MAX_ROWS} {said} by {found.at.isoformat()}, the most one"
                f" read answers: read them a period at a time ({instead})",
            )
    return None


def _returned(view: AccessAsOfView) -> set[str]:
    """The kinds the answer returns besides its timeline, whatever the user saw at T: their
    memberships (care), the consents naming them and their emergency accesses (consent)."""
    care = [Kind.CARE] if view.memberships else []
    consent = [Kind.CONSENT] if view.consents or view.break_glass_uses else []
    return {kind.value for kind in (*care, *consent)}


def _consent(consent: Consent, at: datetime) -> ConsentAsOf:
    expired = consent.expiry(at)
    return ConsentAsOf(
        consent_id=consent.consent_id,
        purpose=consent.event.purpose,
        data_kinds=[k.value for k in consent.event.data_kinds],
        expires_at=consent.event.expires_at,
        expires_on=consent.event.expires_on,
        revoked_at=consent.revoked_at,
        expired_at=None if expired is None else expired[0],
        expired_by=None if expired is None else expired[1],
        in_force=consent.in_force(at),
    )


def _user_asked(user_id: str, role: Role) -> str:
    """The user as the gate reads their token's subject (``subject_asked``), a client by
    their client id written one way."""
    user = subject_asked("userId", user_id)
    if role is Role.CLIENT:
        return client_subject(user) or user
    return user


def _program_asked(program: str | None) -> str | None:
    """The program as the gate reads a token's claim: trimmed, printable text of 1 to
    ``PROGRAM_MAX`` characters. Taken as typed, ``" Demo OTP "`` was answered refused
    (admin-program) where a token naming it reads the program's clients, and a name of
    thousands of characters was quoted whole in that refusal."""
    if program is None:
        return None
    if not names_a_program(program):
        raise InvalidInput(
            "program",
            "program-name",
            f"program is a token's program claim: printable text of 1 to {PROGRAM_MAX} characters",
        )
    return program.strip()


@strawberry.type
class AccessAsOfQuery:
    @strawberry.field(
        description="What a user acting in a role could see of a client at a time: their"
        " standing, the grant and the timeline, rebuilt from the event log (auditors only;"
        " access-logged)."
    )
    async def access_as_of(
        self,
        info: Info[RequestContext, None],
        user_id: str,
        role: Role,
        client_id: UUID,
        at: datetime,
        program: Annotated[
            str | None,
            strawberry.argument(
                description="The program the user's token named, if any: it confines a program"
                " admin or auditor to its clients (refused, admin-program or auditor-program,"
                " for another program's client)."
            ),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> AccessAsOfView:
        ctx = info.context
        await ctx.gate.require_about(Listing.ACCESS_AS_OF, client_id, OPERATION)
        auditor = ctx.reader()
        if at.tzinfo is None:
            raise InvalidInput("at", "time-offset", "at needs its UTC offset (e.g. Z)")
        # What could be seen at a time to come is no record: consents and memberships would
        # be judged in force or expired by a moment that has not happened.
        at = happened("at", at, now=datetime.now(UTC), enrolled_at=None)
        user_id, program = _user_asked(user_id, role), _program_asked(program)
        log_pages.asked(TIMELINE_ORDER, first, after, log_pages.MAX_ROWS)
        own = await ctx.gate.readable(client_id, operation=OPERATION)
        try:
            history = await asyncio.to_thread(client_history, ctx.platform.store, client_id)
        except Unreadable:  # an event altered into none: the answer would rest on a guess
            await ctx.gate.record_read(client_id, own, operation=OPERATION, kinds=(), count=0)
            raise
        if not history:  # a mistyped id: not a client the user was refused
            await ctx.gate.record_read(client_id, own, operation=OPERATION, kinds=(), count=0)
            raise NotFound(
                "clientId", "unknown-client", f"no event of client {client_id} is stored"
            )
        found = AccessAsOf.rebuilt(client_id, history, at, ctx.platform.medication.zone)
        user = Actor(id=user_id, role=role)
        if (refused := too_many(found, user.id)) is not None:
            await ctx.gate.record_read(client_id, own, operation=OPERATION, kinds=(), count=0)
            raise refused
        # The answer is only as sound as the events it was rebuilt from: a revocation
        # deleted from the store reads as a consent still in force.
        async with ctx.platform.pool.connection() as conn:
            checked = await verify_client(conn, client_id)
        chained = ClientRecordVerification.of(client_id, checked)
        view = _view(found, user, auditor, own, ctx.platform.alert_rules, chained, program)
        try:
            view.timeline, view.page_info = await page_of(view.timeline, first, after)
        except InvalidInput:  # refused once the record was rebuilt: a read returning none
            await ctx.gate.record_read(client_id, own, operation=OPERATION, kinds=(), count=0)
            raise
        kinds = {e.kind for e in view.timeline if e.summary is not None} | _returned(view)
        await ctx.gate.record_read(
            client_id, own, operation=OPERATION, kinds=kinds, count=len(view.timeline)
        )
        return view
