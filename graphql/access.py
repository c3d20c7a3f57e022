"""Care teams, consents, emergency access, disclosures and the access log, through the API.

Mutations go through commands (``services/careteam``, ``services/consent``) with the roles of
``services/kernel/access.py``; queries read the access read models and the access log, and each one
that touches a client's record is itself logged.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar
from uuid import UUID

import strawberry
from psycopg_pool import AsyncConnectionPool
from pydantic import ValidationError
from strawberry.types import Info

from carecoord.events import Kind, Role
from carecoord.events.access import Basis, ReadOutcome
from carecoord.events.consent import ExpiryEvent, Recipient, RecipientType
from carecoord.graphql import (
    log_pages,
    periods,
    timeline,  # registers the GraphQL `Kind` enum used here
)
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.graphql.declared import client_mutation, into
from carecoord.graphql.disclosed import disclosed
from carecoord.graphql.seqs import START, Seq
from carecoord.graphql.whole_ranges import at_most_rows
from carecoord.graphql.withheld import TextShown
from carecoord.projections import break_glass as break_glass_view
from carecoord.projections import careteam, consents
from carecoord.services.careteam.commands import assign_member, end_membership
from carecoord.services.consent import commands as consent
from carecoord.services.infrastructure import access_log
from carecoord.services.kernel.access import MAY_RECORD, Action
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.policy import Grant, Listing
from carecoord.services.kernel.stamp import invalid_input
from carecoord.services.kernel.user_ids import subject_asked
from carecoord.services.platform import Platform

MAX_PAGE = timeline.MAX_PAGE

strawberry.enum(Role, name="Role", description="The role a member acts in.")
strawberry.enum(RecipientType, name="RecipientType")
strawberry.enum(Basis, name="AccessBasis", description="Why a reader could see a record.")
strawberry.enum(ReadOutcome, name="ReadOutcome")
strawberry.enum(
    ExpiryEvent,
    name="ConsentExpiryEvent",
    description="An event a consent may expire on that the platform records, and so enforces:"
    " DISCHARGE, the client's discharge (docs/episodes.md).",
)


@strawberry.input(description="Put a clinician on a client's care team (program admins).")
class AssignCareTeamMemberInput:
    client_id: UUID
    member_id: str = strawberry.field(description="The member's user id (their token subject).")
    role: Role
    occurred_at: datetime | None = None


@strawberry.input(description="End a clinician's membership; their access ends with it.")
class EndCareTeamMembershipInput:
    client_id: UUID
    member_id: str
    reason: str
    occurred_at: datetime | None = None


@strawberry.input
class RecipientInput:
    type: RecipientType
    id: str
    name: str = ""

    def parsed(self, field: str) -> Recipient:
        """The recipient, or a refusal naming ``field`` (where this input was given)."""
        try:
            return Recipient(type=self.type, id=self.id, name=self.name)
        except ValidationError as invalid:
            raise invalid_input(invalid, prefix=field) from None


@strawberry.input(
    description="A signed 42 CFR Part 2 consent (elements of 42 CFR 2.31). It states when it"
    " ends: `expiresAt`, `expiresOn`, `expiryEvent`, or more than one (it ends at the first of"
    " the date and the event `expiresOn` names); with none it is refused (`expiresAt`,"
    " `expiry-required`) and nothing is recorded."
)
class RecordConsentInput:
    client_id: UUID
    recipients: list[RecipientInput]
    purpose: str
    data_kinds: list[Kind]
    signed_on: date = strawberry.field(
        description="The program's day the client signed: not after today, nor before the"
        " client's enrolment (`after-enrolment`)."
    )
    signed_by: str
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="When the consent expires: a time to come, at most ten years ahead"
        " (`expiry-within-term`); for one meant to last, give `expiryEvent`.",
    )
    expiry_event: str = strawberry.field(
        default="",
        description='The event or condition it expires on ("end of treatment"; "none" for a'
        " consent to treatment, payment and health care operations), as free text: the"
        " platform does not act on it; revoke the consent when it happens, or give"
        " `expiresOn` for an event it records.",
    )
    expires_on: ExpiryEvent | None = strawberry.field(
        default=None,
        description="An event the platform records that ends the consent: DISCHARGE, the"
        " client's discharge, from which its reads and disclosures are refused; a readmission"
        " does not revive it. Refused for a client discharged now (`expiry-passed`).",
    )


@strawberry.input(description="The client's written revocation of a consent.")
class RevokeConsentInput:
    client_id: UUID
    consent_id: UUID
    reason: str = ""


@strawberry.input(description="Emergency access to a client outside your care team.")
class BreakGlassInput:
    client_id: UUID
    reason: str = strawberry.field(description="The emergency; at least 10 characters.")


@strawberry.input(description="Records that left the program, and under which authority.")
class RecordDisclosureInput:
    client_id: UUID
    recipient: RecipientInput
    purpose: str | None = strawberry.field(
        default=None,
        description="What it was for. Under a consent, the consent's purpose (42 CFR"
        " 2.31(a)(4)): left out, it is the consent's; one that reads otherwise, capitals and"
        " spacing aside, is refused (`purpose`, `consent-purpose`) and nothing is recorded."
        " Under emergency access (`breakGlassId`), required (`purpose-stated`).",
    )
    data_kinds: list[Kind]
    description: str
    consent_id: UUID | None = None
    break_glass_id: UUID | None = None


def recipients_of(given: RecordConsentInput) -> tuple[Recipient, ...]:
    if not given.recipients:
        raise InvalidInput("recipients", "a-recipient", "name at least one recipient")
    return tuple(r.parsed(f"recipients.{n}") for n, r in enumerate(given.recipients))


def consent_term(platform: Platform) -> timedelta:
    """The furthest ahead a consent's ``expiresAt`` may lie, as the platform is set."""
    return timedelta(days=platform.settings.consent_term_max_days)


def kinds_of(given: RecordConsentInput | RecordDisclosureInput) -> tuple[Kind, ...]:
    return tuple(given.data_kinds)


@strawberry.type
class AccessMutation:
    assign_care_team_member = client_mutation(
        "Put a clinician on a client's care team.",
        Action.ASSIGN_CARE_TEAM_MEMBER,
        assign_member,
        AssignCareTeamMemberInput,
    )
    end_care_team_membership = client_mutation(
        "End a clinician's care team membership.",
        Action.END_CARE_TEAM_MEMBERSHIP,
        end_membership,
        EndCareTeamMembershipInput,
    )
    record_consent = client_mutation(
        "Record a client's Part 2 consent; returns its id.",
        Action.RECORD_CONSENT,
        consent.record_consent,
        RecordConsentInput,
        rules=consent_term,
        recipients=recipients_of,
        data_kinds=kinds_of,
    )
    revoke_consent = client_mutation(
        "Revoke a consent: reads and disclosures under it stop now.",
        Action.REVOKE_CONSENT,
        consent.revoke_consent,
        RevokeConsentInput,
    )
    break_glass = client_mutation(
        "Emergency access for an hour; recorded, and an alert to the program. A clinician"
        " whose token names a program is refused another program's client"
        " (break-glass-program).",
        Action.BREAK_GLASS,
        consent.break_glass,
        BreakGlassInput,
    )
    record_disclosure = client_mutation(
        "Record a disclosure to an outside recipient; returns its id, and the notice and"
        " consent scope to send with the records.",
        Action.RECORD_DISCLOSURE,
        consent.record_disclosure,
        RecordDisclosureInput,
        answer=disclosed,
        recipient=lambda given: given.recipient.parsed("recipient"),
        data_kinds=kinds_of,
    )


@strawberry.type
class CareTeamMember:
    member_id: str
    role: str
    started_at: datetime
    ended_at: datetime | None
    ended_reason: str | None = strawberry.field(
        description="Why it ended; null where withheld (`withheld`)."
    )
    withheld: list[str] = strawberry.field(
        description="`endedReason` where it is withheld from you: its writer (a program admin)"
        " reads more of the record than you do (docs/access.md)."
    )


@strawberry.type
class ConsentView:
    consent_id: UUID
    member_ids: list[str]
    organization_ids: list[str]
    purpose: str
    data_kinds: list[str]
    expires_at: datetime | None
    expiry_event: str = strawberry.field(
        description="Empty, with `expiresAt` null, on a consent recorded before one of them was"
        " required: it stays in force until revoked."
    )
    expires_on: ExpiryEvent | None = strawberry.field(
        description="The event the platform records that ends it (DISCHARGE), if any."
    )
    signed_on: date
    recorded_at: datetime
    revoked_at: datetime | None
    expired_at: datetime | None = strawberry.field(
        description="When it stopped granting by its own terms: its `expiresAt` once passed,"
        " or the client's discharge for one until discharge, whichever came first; null while"
        " neither has."
    )
    expired_by: str | None = strawberry.field(
        description="Why it expired: `expires_at` (its date) or `discharge`; null while in force."
    )
    expiry_in_error_at: datetime | None = strawberry.field(
        description="When the discharge that expired it was marked entered in error; null"
        " otherwise. It stays expired: the client was told it had ended, and signs a new"
        " consent if they still consent (docs/episodes.md)."
    )


def _expiry_event(stored: str | None) -> ExpiryEvent | None:
    return None if stored is None else ExpiryEvent(stored)


@strawberry.type(description="An emergency access: the program's alert.")
class BreakGlassUse:
    position: Seq = strawberry.field(
        description="The store position of its record: the last one's `before` for the next page."
    )
    access_id: UUID
    client_id: UUID
    member_id: str
    role: str
    reason: str
    used_at: datetime
    expires_at: datetime


@strawberry.type(description="One read of a client's record.")
class AccessLogEntry:
    seq: Seq
    event_id: UUID
    client_id: UUID
    occurred_at: datetime
    reader_id: str
    reader_role: str
    operation: str
    outcome: ReadOutcome
    basis: Basis
    kinds_granted: list[str]
    kinds_returned: list[str]
    entries_returned: int
    consent_ids: list[UUID]
    break_glass_id: UUID | None
    policy_version: str
    refusal: str

    @classmethod
    def of(cls, logged: access_log.LoggedRead) -> AccessLogEntry:
        e = logged.entry
        return into(
            cls,
            e,
            seq=Seq(logged.seq),
            reader_id=e.actor.id,
            reader_role=e.actor.role.value,
            kinds_granted=[k.value for k in e.kinds_granted],
            kinds_returned=[k.value for k in e.kinds_returned],
            consent_ids=list(e.consent_ids),
        )


Through = Annotated[
    Seq | None,
    strawberry.argument(
        description="Entries up to this seq only: the accessLogHead read before paging. Each"
        " page read is itself logged after it, so a loop held to it ends."
    ),
]
"""The fixed head an auditor pages the access log up to (docs/access.md, "Paging")."""


def page_size(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput("first", "page-size", f"first must be between 1 and {MAX_PAGE}")


def log_page(first: int, after: int, through: int | None) -> None:
    """A page of the access log: ``first`` entries after ``after``, up to ``through``. One
    held to a head before where it starts was answered empty, as if the log ended there."""
    page_size(first)
    if through is not None and through < after:
        raise InvalidInput(
            "through",
            "through-before-after",
            f"through ({through}) is before after ({after}): a page runs from after up to"
            " through; pass the accessLogHead read before paging",
        )


async def after_in_log(ctx: RequestContext, after: int) -> None:
    """Refuse an ``after`` past the newest entry: no page or head gave it (unless entries
    were removed since), and a pass started there passes over the entries numbered up to
    it once they are written. It was answered empty, as if the log ended there (a store
    position passed for a seq, or the log's tail cut since the last pass)."""
    if after == 0:
        return
    head = await access_log.head(ctx.platform.primary_reads)
    if after > head:
        raise InvalidInput(
            "after",
            "after-past-head",
            f"after ({after}) is past the access log's newest entry ({head}): a pass from"
            f" there would pass over entries {head + 1} to {after} once they are written;"
            " pass a seq a page answered, or the accessLogHead (one such seq past it now"
            " means entries were removed since: verifyAccessLog)",
        )


async def logged_among(ctx: RequestContext) -> list[UUID] | None:
    """The clients whose access-log entries an auditor whose token names a program reads:
    that program's (an auditor of one program read every program's readers and clients);
    None for every client's."""
    program = ctx.gate.managed_program()
    return None if program is None else await ctx.gate.program_clients(program)


R = TypeVar("R", bound=Mapping[str, object])


async def client_view(
    ctx: RequestContext,
    client_id: UUID,
    kind: Kind,
    operation: str,
    view: str,
    of_client: Callable[[AsyncConnectionPool, UUID], Awaitable[list[R]]],
    at_least: int | None,
) -> list[R]:
    """A client's rows of one access view (``of_client``), for a reader whose grant shows
    ``kind``; any other is refused (``kind-may-read``) rather than told there are none.
    With ``at_least``, once the access views (this one among them) have it."""
    return await ctx.client_rows(
        client_id,
        operation,
        view,
        at_least,
        lambda _: of_client(ctx.platform.reads, client_id),
        needs=kind,
    )


async def log_each_client(
    ctx: RequestContext, clients: Iterable[UUID], operation: str
) -> frozenset[UUID]:
    """One access-log entry per client a program-wide listing returns, written together;
    ``clients`` names a client once for each row of theirs shown, and their entry counts
    those rows (two emergency accesses to one client were logged as one row shown). The
    clients the reader may read (a program admin: those of their program) come back."""
    rows = Counter(clients)
    granted = await ctx.gate.readable_each(rows, operation=operation)
    await asyncio.gather(
        *(
            ctx.gate.record_read(c, grant, operation=operation, kinds=[Kind.CONSENT], count=rows[c])
            for c, grant in granted.items()
        )
    )
    return frozenset(granted)


@strawberry.type
class AccessQuery:
    @strawberry.field(
        description="Who is and was on a client's care team, in the order assigned (those"
        f" whose membership started from startedFrom, before startedTo), whole: at most"
        f" {log_pages.MAX_ROWS}, refused past that."
    )
    async def care_team(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
        at_least: AtLeast = None,
    ) -> list[CareTeamMember]:
        ctx = info.context
        periods.in_order(("startedFrom", "startedTo"), started_from, started_to)

        async def shown(grant: Grant) -> list[dict[str, Any]]:
            # A reason for ending is free text of whoever may end a membership (MAY_RECORD).
            text = TextShown.of(grant, ctx.reader().id)
            enders = MAY_RECORD[Action.END_CARE_TEAM_MEMBERSHIP]
            kept_back = not all(text.shows(role.value, "") for role in enders)
            found = await careteam.of_client(
                ctx.platform.reads, client_id, started_from, started_to, log_pages.MAX_ROWS + 1
            )
            return [
                {**r, "ended_reason": None, "withheld": ["endedReason"]}
                if kept_back and r["ended_reason"] is not None
                else {**r, "withheld": []}
                for r in at_most_rows(found, ("startedFrom", "startedTo"))
            ]

        rows = await ctx.client_rows(
            client_id, "careTeam", careteam.NAME, at_least, shown, needs=Kind.CARE
        )
        return [into(CareTeamMember, r) for r in rows]

    @strawberry.field(
        description="A client's Part 2 consents, revoked ones included, in the order recorded"
        f" (recordedFrom, before recordedTo), whole: at most {log_pages.MAX_ROWS}, refused"
        " past that."
    )
    async def consents(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        recorded_from: datetime | None = None,
        recorded_to: datetime | None = None,
        at_least: AtLeast = None,
    ) -> list[ConsentView]:
        periods.in_order(("recordedFrom", "recordedTo"), recorded_from, recorded_to)

        async def recorded(pool: AsyncConnectionPool, client_id: UUID) -> list[consents.Consent]:
            found = await consents.of_client(
                pool, client_id, recorded_from, recorded_to, limit=log_pages.MAX_ROWS + 1
            )
            return at_most_rows(found, ("recordedFrom", "recordedTo"))

        rows = await client_view(
            info.context, client_id, Kind.CONSENT, "consents", consents.NAME, recorded, at_least
        )
        return [into(ConsentView, r, expires_on=_expiry_event(r["expires_on"])) for r in rows]

    @strawberry.field(
        description="Emergency accesses, newest first, a page at a time: the first recorded"
        " before the position `before` (the last one's `position` to go on); program admins,"
        " auditors."
    )
    async def break_glass_uses(
        self,
        info: Info[RequestContext, None],
        since: datetime | None = None,
        first: int = 100,
        before: Seq | None = None,
        at_least: AtLeast = None,
    ) -> list[BreakGlassUse]:
        ctx = info.context
        ctx.gate.require(Listing.BREAK_GLASS_USES)
        page_size(first)
        await ctx.caught_up(break_glass_view.NAME, at_least)
        program = ctx.gate.managed_program()
        rows = await break_glass_view.newest(ctx.platform.reads, since, first, program, before)
        readable = await log_each_client(ctx, (r["client_id"] for r in rows), "breakGlassUses")
        return [into(BreakGlassUse, r) for r in rows if r["client_id"] in readable]

    @strawberry.field(
        description="The access log, in order, `first` entries after the seq `after`, up to"
        " `through` (auditors only; each page read is logged)."
    )
    async def access_log(
        self,
        info: Info[RequestContext, None],
        client_id: UUID | None = None,
        reader_id: str | None = None,
        since: datetime | None = None,
        after: Seq = START,
        first: int = 100,
        through: Through = None,
    ) -> list[AccessLogEntry]:
        ctx = info.context
        ctx.gate.require(Listing.ACCESS_LOG)
        log_page(first, after, through)
        await after_in_log(ctx, after)
        found = await access_log.entries(
            ctx.platform.primary_reads,
            client_id=client_id,
            actor_id=None if reader_id is None else subject_asked("readerId", reader_id),
            after=after,
            limit=first,
            since=since,
            through=through,
            among=await logged_among(ctx),
        )
        await log_each_client(ctx, [f.entry.client_id for f in found], "accessLog")
        return [AccessLogEntry.of(f) for f in found]
