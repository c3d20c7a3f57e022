"""The one access gate: every transport (the GraphQL API, the CLI, the disclosure forwarder)
asks it before recording or reading anything about a client.

Writes: ``stamp`` admits an ``Action`` for the clients it names (``services/kernel/access.py``)
and signs the events. Reads: ``readable`` decides one client's grant (``services/kernel/
policy.py``) from access read models that have the client's newest access change, and
``record_read`` / ``refused_read`` append the access-log entry; ``require`` admits a listing a
role has by its job. The transport only says who is asking.

The access views are read where the API reads them (``platform.reads``: a streaming replica
when one is configured); what they must have caught up with is asked of the primary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Kind, Role
from carecoord.events.access import Basis, ClientRecordRead, ReadOutcome
from carecoord.events.stock import site_name_id, stock_id
from carecoord.events.users import user_record_id
from carecoord.projections import careteam, timeline
from carecoord.projections.audit.history import is_stored
from carecoord.services.careteam.team import CareTeam
from carecoord.services.gate.grants import (
    ACCESS_MODELS,
    ACCESS_RECORDS,
    DECIDED_FROM,
    OWN_VIEW_RECORDS,
    access_records,
    clients_of,
    grants_for,
    on_care_team,
    programs_of,
    spelled_otherwise,
)
from carecoord.services.gate.suspensions import admitted
from carecoord.services.infrastructure.connection_lost import once_more_when_lost
from carecoord.services.kernel.access import (
    SITE_ACTIONS,
    SITE_NAME_ACTIONS,
    USER_ACTIONS,
    Action,
    Relationship,
    admit,
    authorize,
    relationship_needed,
    require_actor,
)
from carecoord.services.kernel.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
    Unavailable,
)
from carecoord.services.kernel.policy import (
    POLICY_VERSION,
    PROGRAM_WIDE,
    Grant,
    Listing,
    team_only,
)
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.visible_names import site_named
from carecoord.services.platform import Platform

T = TypeVar("T")


@dataclass
class AccessGate:
    """Decisions for one caller: ``actor`` (None when no credential was given), the program
    their token confines them to (a program admin's clients; any role's stock site), and the
    correlation id of what they do."""

    platform: Platform
    actor: Actor | None
    program: str | None
    correlation_id: UUID
    issued_at: int | None = None
    """When the caller's token was issued (its ``iat``): one issued before a suspension is
    not taken again once the user is reinstated (``admitted``)."""
    decided_at: dict[UUID, datetime] = field(default_factory=dict, repr=False)
    """When each client's last grant was decided: the time its read is logged at, so that
    ``accessAsOf`` at a read's time rests on the access changes its grant did. Logged when
    the read was done, a revocation recorded while the rows were read made the log say
    granted under a consent the replay at that time read as revoked."""

    def reader(self) -> Actor:
        return require_actor(self.actor)

    def manages(self, program: str) -> None:
        """A program admin or auditor whose token names a program acts for that program only."""
        if self._scoped(self.reader()) and program != self.program:
            raise Forbidden(
                "program",
                self.program_rule(),
                f"your token names program {self.program!r}, not {program!r}",
            )

    def program_rule(self) -> str:
        """The rule of a refusal outside the program a program-wide reader's token names."""
        return "auditor-program" if self.reader().role is Role.AUDITOR else "admin-program"

    def at_site(self, site: str, field: str = "site") -> None:
        """A token that names a program keeps whoever holds it, in any role, to that
        program's site: a nurse or prescriber of one program neither records on nor reads
        another program's controlled-substance stock (a site is a program), nor enrolls a
        client into another program, where a second enrolment under an upstream id is
        refused naming the client that program has (``services/care/upstream.py``)."""
        reader = self.reader()
        if self.program is not None and site != self.program:
            rule = "admin-program" if reader.role is Role.PROGRAM_ADMIN else "site-program"
            raise Forbidden(field, rule, f"your token names program {self.program!r}, not {site!r}")

    def enrols_upstream(self) -> None:
        """An enrolment under an upstream id is refused (``already-enrolled``) when the
        program has the person, so a clinician's token names the program they enrol into: a
        nurse or prescriber whose token named none asked any program whether it had the
        person (42 CFR Part 2). A program admin whose token names none manages every program."""
        if self.reader().role is not Role.PROGRAM_ADMIN and self.program is None:
            raise Forbidden(
                "clientId",
                "upstream-program",
                "your token names no program: an enrolment under an upstream id needs a token"
                " naming the program it enrols into (or enrol without clientId)",
            )

    def require(self, listing: Listing) -> bool:
        """Admit a listing by role; True when the reader sees only their care team's clients."""
        return team_only(self.reader().role, listing)

    async def require_about(self, listing: Listing, client_id: UUID, operation: str) -> None:
        """``require`` for a listing about one client: a refusal is access-logged, then raised."""
        try:
            self.require(listing)
        except Forbidden as refusal:
            raise await self.refused_read(client_id, operation, refusal) from None

    async def on_team(self, clients: frozenset[UUID]) -> frozenset[UUID]:
        """Those of ``clients`` whose care team the reader is on now, in the role they act in."""
        self.platform.progress.require_current(careteam.NAME)
        reader = self.reader()
        return frozenset(await self._on_views(lambda conn: on_care_team(conn, reader, clients)))

    async def stamp(
        self, action: Action, *clients: UUID, fields: Mapping[UUID, str] | None = None
    ) -> Stamp:
        """The envelope for ``action`` about ``clients``: the one gate every write passes.

        The actor's role must allow the action (``MAY_RECORD``) and they must stand in the
        needed relationship to each client (``admit``); the stamp then signs events about
        those clients only. A refusal names the first client refused by ``fields``' name
        for them (``clientId`` if none): the one entry of a group's list that is wrong.
        """
        actor = authorize(self.actor, action)
        named = frozenset(clients)
        await self._within_program(clients, fields)
        if action is Action.BREAK_GLASS:
            await self._emergency_within_program(clients)
        needed = relationship_needed(actor, action)
        on_team: frozenset[UUID] = frozenset()
        if needed is Relationship.CARE_TEAM:
            on_team = await self._on_care_team(actor, named)
        admit(actor, action, clients, on_team, fields)
        return Stamp(
            actor,
            correlation_id=self.correlation_id,
            clients=None if needed is Relationship.NONE else named,
            zone=self.platform.settings.program_time_zone,
        )

    def stamp_site(self, action: Action, site: str, *receiving: str) -> Stamp:
        """The envelope for ``action`` on ``site``'s controlled-substance stock (and a
        transfer's ``receiving`` site): the role alone admits it (no client's record is
        touched), a token that names a program acts at that program's site only (``at_site``;
        the site it transfers to may be another program's), and the stamp signs events about
        those sites' stock only, and registering or retiring a site about its name's record
        too (``site_name_id``)."""
        actor = authorize(self.actor, action)
        if action not in SITE_ACTIONS:
            raise Forbidden("site", "client-action", f"{action.said} is about a client, not a site")
        self.at_site(site)
        named = {site_name_id(site)} if action in SITE_NAME_ACTIONS else set()
        return Stamp(
            actor,
            correlation_id=self.correlation_id,
            clients=frozenset({*(stock_id(s) for s in (site, *receiving)), *named}),
            zone=self.platform.settings.program_time_zone,
        )

    def stamp_user(self, action: Action, user_id: str) -> Stamp:
        """The envelope for ``action`` on ``user_id``'s access record: the role alone admits
        it (no client's record is touched), and the stamp signs events about that record
        only. Whether the actor is suspended themself was asked before anything ran
        (``not_suspended``)."""
        actor = authorize(self.actor, action)
        if action not in USER_ACTIONS:
            raise Forbidden("userId", "client-action", f"{action.said} is not about a user")
        return Stamp(
            actor,
            correlation_id=self.correlation_id,
            clients=frozenset({user_record_id(user_id)}),
            zone=self.platform.settings.program_time_zone,
        )

    async def not_suspended(self) -> None:
        """Refuse (``user-suspended``) a caller whose access a program admin suspended,
        asked of the store on the primary: a suspension recorded before the request counts
        for it, in every process, however far the views lag. A token issued before the
        caller was last reinstated is refused too (``token-revoked``)."""
        if self.actor is None:
            return
        probe = self.platform.suspensions
        if probe is None:
            raise Unavailable("authorization", "suspensions-unknown", "retry in a moment")
        await admitted(probe, self.actor.id, self.issued_at)

    async def readable(
        self,
        client_id: UUID,
        *,
        operation: str,
        at_least: int | None = None,
        settled: bool = False,
    ) -> Grant:
        """What the reader may see of this client now; a refusal is logged, then raised.

        With ``at_least``, waits (briefly) until the access read models have that position,
        so a reader sees the effect of a care-team or consent change they just made.
        ``settled``: the caller already let the access views have this client's newest
        access change (``_settle_reads``).
        """
        reader = self.reader()
        if reader.role not in PROGRAM_WIDE:
            self.platform.progress.require_current(*DECIDED_FROM)
        if at_least is not None:
            await self._access_models_at(at_least)
        try:
            await self._within_program((client_id,))
        except Forbidden as refusal:
            await self._log(reader, client_id, operation, refusal=refusal)
            raise
        if not settled:
            try:
                await self._settle_reads(reader, frozenset({client_id}))
            except Unavailable as undecided:  # an attempt all the same, shown nothing
                await self._log(reader, client_id, operation, refusal=undecided)
                raise
        decided = (await self._decided([client_id], operation))[client_id]
        if isinstance(decided, Forbidden):
            raise decided
        if reader.role in PROGRAM_WIDE and not self._scoped(reader):
            await self._stored(client_id, decided, operation)
        return decided

    async def _stored(self, client_id: UUID, grant: Grant, operation: str) -> None:
        """Tell a reader who may see every client that an id names none (``unknown-client``,
        logged as a read returning none), whatever they read: a timeline or a consent list
        answered empty, where a verification, an export or ``accessAsOf`` said so, and an
        auditor took a mistyped id for a client with nothing recorded. Any other reader is
        refused an unknown id as a client they may not see (by the policy, or the program
        their token names), so no answer tells them which ids are clients."""
        if not await asyncio.to_thread(is_stored, self.platform.store, client_id):
            await self.record_read(client_id, grant, operation=operation, kinds=(), count=0)
            raise NotFound(
                "clientId", "unknown-client", f"no event of client {client_id} is stored"
            )

    async def readable_after(self, client_id: UUID, *, operation: str, changed: int) -> Grant:
        """``readable`` once the access views have ``changed``: the client's newest access
        change, which a live feed read from the store alongside the rows it hands over."""
        await self.access_models_reach(changed)
        return await self.readable(client_id, operation=operation, settled=True)

    async def readable_each(self, clients: Iterable[UUID], *, operation: str) -> dict[UUID, Grant]:
        """Grants for several clients at once (a listing); a refused client is logged and left
        out, as when a membership ended between the listing and the check."""
        wanted = list(dict.fromkeys(clients))
        await self._settle_reads(self.reader(), frozenset(wanted))
        return await self._settled_grants(wanted, operation)

    async def readable_on_team(
        self, clients: Iterable[UUID], *, operation: str
    ) -> dict[UUID, Grant]:
        """Grants for the clients of a listing kept to the reader's care team (a caseload, an
        alert queue, a log kept to the team), of those whose team the reader is on now.

        The team read that listed ``clients`` may lack a removal: the access views are let
        have each client's newest change first, so a client the reader has left is neither
        shown nor logged as a read refused to them (an attempt they never made); and a
        grant resting on a consent or an emergency access alone is not the care team."""
        listed = await self.on_team(frozenset(clients))  # the view may lack a removal
        await self._settle_reads(self.reader(), listed)
        granted = await self._settled_grants(list(await self.on_team(listed)), operation)
        return {c: g for c, g in granted.items() if g.basis is Basis.CARE_TEAM}

    async def _settled_grants(self, clients: list[UUID], operation: str) -> dict[UUID, Grant]:
        """``readable`` for each of ``clients``, whose newest access changes the views have:
        those outside a program admin's program refused and logged as ``readable`` does."""
        if not clients:
            return {}
        if self.reader().role not in PROGRAM_WIDE:
            self.platform.progress.require_current(*DECIDED_FROM)
        inside = await self.in_managed_program(frozenset(clients))
        for client_id in clients:
            if client_id not in inside:
                await self._log(
                    self.reader(), client_id, operation, refusal=self._outside(client_id)
                )
        decided = await self._decided([c for c in clients if c in inside], operation)
        return {c: g for c, g in decided.items() if not isinstance(g, Forbidden)}

    async def _decided(self, clients: list[UUID], operation: str) -> dict[UUID, Grant | Forbidden]:
        """The grant of each of ``clients`` (at once, whose newest access changes the views
        have), or its refusal, logged: one kept since the access views last changed, and the
        others' in one statement (one each, a caseload's thousand clients took a thousand)."""
        reader = self.reader()
        progress, kept = self.platform.progress, self.platform.grants
        now = datetime.now(UTC)
        self.decided_at.update(dict.fromkeys(clients, now))
        today = self.platform.medication.day_of(now)
        # Kept for the program's day too: a blind taper lifts when its last day is over,
        # and no access view changes then.
        versions = (*(progress.version(name) for name in ACCESS_MODELS), today.toordinal())
        decided: dict[UUID, Grant | Forbidden] = {}
        for client_id in clients:
            grant = kept.get(reader, client_id, versions)
            if grant is not None:
                decided[client_id] = grant
        unknown = [c for c in dict.fromkeys(clients) if c not in decided]
        if unknown:
            decided.update(
                await self._on_views(lambda conn: grants_for(conn, reader, unknown, today))
            )
        for client_id in unknown:
            found = decided[client_id]
            if isinstance(found, Forbidden):
                await self._log(reader, client_id, operation, refusal=found)
            else:
                kept.keep(reader, client_id, versions, found)
        return decided

    async def record_read(
        self, client_id: UUID, grant: Grant, *, operation: str, kinds: Iterable[str], count: int
    ) -> None:
        """Append the one access-log entry of a read, at the time its grant was decided;
        returns once it is stored."""
        await self._log(
            self.reader(),
            client_id,
            operation,
            grant=grant,
            kinds=kinds,
            count=count,
            at=self.decided_at.get(client_id),
        )

    async def refused_read(self, client_id: UUID, operation: str, refusal: Forbidden) -> Forbidden:
        """Log a read of a client's record refused before the policy was asked (a role that
        may not use the query at all); returns the refusal, to raise."""
        await self._log(self.reader(), client_id, operation, refusal=refusal)
        return refusal

    async def access_models_reach(self, position: int) -> None:
        """Wait until every access read model has ``position`` (subscriptions use this), where
        the gate reads them (a replica too)."""
        progress = self.platform.progress
        for name in ACCESS_MODELS:
            if progress.position(name) < position:
                await progress.passed(name, position - 1)
            await progress.replayed(name, position)

    def managed_program(self) -> str | None:
        """The one program whose clients a program admin's or auditor's token confines their
        reads to; None for every program (and for every other role)."""
        return self.program if self._scoped(self.reader()) else None

    def closing_program(self) -> str:
        """The program a program admin's token names, to close; refused to a token that
        names no program, which acts for every program and so for none."""
        program = self.managed_program()
        if program is None:
            raise Forbidden(
                "program",
                "admin-program",
                "your token names no program; a program is closed by the admin its token names",
            )
        return program

    async def program_clients(self, program: str) -> list[UUID]:
        """Every client enrolled in ``program`` (``closing_program``), as the store holds
        them before this call (a client enrolled just before counts)."""
        self.platform.progress.require_current(timeline.NAME)
        await self._enrolments_at_head("program")
        return await self._on_views(
            lambda conn: clients_of(conn, program), self.platform.primary_reads
        )

    async def unmistakable_program(self, program: str) -> None:
        """A client is enrolled in a program under the name its other clients have: "otp"
        beside "OTP" split one program in two, a program admin of the one seeing none of the
        other's clients and the caseloads, closures and reports of each missing them."""
        named = site_named("program", program)  # as the enrolment reads and keeps it
        # A client enrolled just before counts; a view lagging further is compared as it is:
        # the name is a guard against a slip, and intake does not wait on the projector.
        await self._at_head(timeline.NAME)
        existing = await self._on_views(
            lambda conn: spelled_otherwise(conn, named), self.platform.primary_reads
        )
        if existing is not None:
            raise InvalidInput(
                "program",
                "unmistakable-program",
                f"clients are enrolled in the program {existing!r}: write its name as that,"
                " or name another program",
            )

    def _scoped(self, actor: Actor) -> bool:
        """A program admin or an auditor whose token names a program: an auditor of one
        program read every program's clients, their audit data and their access log."""
        return actor.role in PROGRAM_WIDE and self.program is not None

    async def in_managed_program(self, clients: frozenset[UUID]) -> frozenset[UUID]:
        """Those of ``clients`` enrolled in the program a program admin's or auditor's token
        names (a listing shows and logs no other); all of them for every other reader."""
        if not clients or not self._scoped(self.reader()):
            return clients
        found = await self._programs_of(clients)
        return frozenset(c for c in clients if found.get(c) == self.program)

    async def _programs_of(self, clients: frozenset[UUID]) -> dict[UUID, str]:
        """The program each of ``clients`` is enrolled in, as the store holds them before
        this call (a client enrolled a moment ago counts); none for a client not enrolled."""
        self.platform.progress.require_current(timeline.NAME)
        found = await self._on_views(lambda conn: programs_of(conn, clients))
        if clients - found.keys():
            await self._enrolments_at_head("clientId")  # a client may have just enrolled
            found = await self._on_views(lambda conn: programs_of(conn, clients))
        return found

    async def _emergency_within_program(self, clients: Sequence[UUID]) -> None:
        """A clinician whose token names a program breaks the glass on that program's
        clients only, as the claim keeps their enrolments and stock to it: one of another
        program opened a record of a program they do not work for (42 CFR Part 2 keeps each
        program's records its own). A client id no program has is refused alike, so the
        refusal tells no more than an unknown id's."""
        if self.program is None or self.reader().role in PROGRAM_WIDE:
            return
        found = await self._programs_of(frozenset(clients))
        for client_id in (c for c in clients if found.get(c) != self.program):
            raise Forbidden(
                "clientId",
                "break-glass-program",
                f"your token names program {self.program!r}; client {client_id} is not"
                " enrolled in it",
            )

    async def _within_program(
        self, clients: Sequence[UUID], fields: Mapping[UUID, str] | None = None
    ) -> None:
        managed = await self.in_managed_program(frozenset(clients))
        for client_id in (c for c in clients if c not in managed):
            raise self._outside(client_id, (fields or {}).get(client_id, "clientId"))

    def _outside(self, client_id: UUID, field: str = "clientId") -> Forbidden:
        """The refusal of a client outside the program a program-wide reader's token names."""
        return Forbidden(
            field,
            self.program_rule(),
            f"your token names program {self.program!r}; client {client_id} is not in it",
        )

    async def _on_care_team(self, actor: Actor, clients: frozenset[UUID]) -> frozenset[UUID]:
        """Membership from the care-team read model (or what it confirmed since its last
        change); before refusing, it is brought up to the store's head, so a membership
        recorded just before this request counts. A removal recorded before it counts too,
        whatever the projector's lag (``_settled``)."""
        self.platform.progress.require_current(careteam.NAME)
        await self._settled(clients, (CareTeam.context,), (careteam.NAME,))
        version = self.platform.progress.version(careteam.NAME)
        if self.platform.memberships.confirmed(actor, clients, version):
            return clients
        found = await self._memberships(actor, clients, version)
        if found == clients:
            return found
        await self._at_head(careteam.NAME)
        return await self._memberships(
            actor, clients, self.platform.progress.version(careteam.NAME)
        )

    async def _settle_reads(self, reader: Actor, clients: frozenset[UUID]) -> None:
        """Read grants for ``clients`` rest on views that have their newest access change
        (one statement however many clients; program-wide roles decide without the views)."""
        if reader.role in PROGRAM_WIDE or not clients:
            return
        records = ACCESS_RECORDS + (OWN_VIEW_RECORDS if reader.role is Role.CLIENT else ())
        await self._settled(clients, records, ACCESS_MODELS)

    async def _settled(
        self, clients: frozenset[UUID], records: tuple[str, ...], models: tuple[str, ...]
    ) -> None:
        """Let ``models`` have every access change of ``clients`` recorded so far; refuse
        (UNAVAILABLE, nothing decided) rather than decide on views that lack one.

        The probe reads the store on the primary, never a replica (``platform.reads``): a
        replica that has not replayed a revocation would not know to wait for it.
        ``reach`` then waits for the views where they are read, the replica included."""
        platform = self.platform
        last = await platform.access_changes.ask(access_records(clients, records))
        timeout = platform.settings.read_your_writes_timeout
        reached = await asyncio.gather(*(platform.progress.reach(m, last, timeout) for m in models))
        if not all(reached):
            raise Unavailable(
                "clientId",
                "access-rules-catching-up",
                "the access rules are catching up with a recent change; retry in a moment",
            )

    async def _at_head(self, name: str) -> bool:
        """Let read model ``name`` catch up with the store's head, before refusing on it;
        whether it did within ``read_your_writes_timeout``."""
        head = await asyncio.to_thread(self.platform.store.last_position)
        timeout = self.platform.settings.read_your_writes_timeout
        return await self.platform.progress.reach(name, head, timeout)

    async def _enrolments_at_head(self, field: str) -> None:
        """Let the enrolments (the timeline view) have every one recorded so far; refuse
        (UNAVAILABLE, nothing decided) rather than decide on a view that lacks one: a client
        enrolled a moment ago was refused to their program's admin as another program's
        while the view lagged."""
        if not await self._at_head(timeline.NAME):
            raise Unavailable(
                field, "enrolments-catching-up", "the enrolments are catching up; retry"
            )

    async def _memberships(
        self, actor: Actor, clients: frozenset[UUID], version: int
    ) -> frozenset[UUID]:
        ends = await self._on_views(lambda conn: on_care_team(conn, actor, clients))
        self.platform.memberships.keep(actor, ends, version)
        return frozenset(ends)

    async def _on_views(
        self,
        read: Callable[[AsyncConnection[Any]], Awaitable[T]],
        pool: AsyncConnectionPool | None = None,
    ) -> T:
        """``read`` where the views are read (``platform.reads``, or ``pool``), asked once
        more on another connection when its connection was lost: after a restart or a
        terminated backend, the pool's idle connections died with it, and each failed a
        request (UNAVAILABLE, to retry) until the process's listener had them checked."""
        views = self.platform.reads if pool is None else pool

        async def once() -> T:
            async with views.connection() as conn:
                return await read(conn)

        return await once_more_when_lost(views, once)

    async def _access_models_at(self, position: int) -> None:
        progress = self.platform.progress
        if any(progress.position(name) < position for name in ACCESS_MODELS):
            await recorded(self.platform, position)
        timeout = self.platform.settings.read_your_writes_timeout
        reached = await asyncio.gather(
            *(progress.reach(name, position, timeout) for name in ACCESS_MODELS)
        )
        if not all(reached):
            raise RuleViolation(
                "atLeast", "not-yet-visible", f"access rules are not yet at {position}; retry"
            )

    async def _log(
        self,
        reader: Actor,
        client_id: UUID,
        operation: str,
        at: datetime | None = None,
        **read: Any,
    ) -> None:
        """Append the access-log entry of a read (``read``: as ``read_entry`` takes it), at
        ``at`` (now if None)."""
        stamp = Stamp(reader, correlation_id=self.correlation_id)
        entry = read_entry(stamp, client_id, operation, at=at, **read)
        await self.platform.access_log.append(entry)


async def recorded(platform: Platform, at_least: int) -> None:
    """Refuses an ``atLeast`` past the store's last position: no mutation answered it (it is
    another database's, or mistyped), so waiting for it would end in "retry" for ever. Asked
    only when a view is not there yet, so a read of one's own write pays nothing more."""
    head = await asyncio.to_thread(platform.store.last_position)
    if at_least > head:
        raise InvalidInput(
            "atLeast",
            "recorded-position",
            f"atLeast is past the last recorded position ({head}): pass a position a"
            " mutation answered",
        )


def read_entry(
    stamp: Stamp,
    client_id: UUID,
    operation: str,
    *,
    grant: Grant | None = None,
    refusal: Forbidden | Unavailable | None = None,
    kinds: Iterable[str] = (),
    count: int = 0,
    at: datetime | None = None,
) -> ClientRecordRead:
    """The access-log entry of one read of a client's record, granted (``grant``) or refused,
    at ``at`` (when its grant was decided; now if None)."""
    return stamp.event(
        ClientRecordRead,
        client_id,
        at,
        operation=operation,
        outcome=ReadOutcome.REFUSED if grant is None else ReadOutcome.GRANTED,
        basis=Basis.NONE if grant is None else grant.basis,
        kinds_granted=() if grant is None else tuple(sorted(grant.kinds | grant.authored)),
        kinds_returned=tuple(sorted(map(Kind, set(kinds)))),  # each kind once, not per row
        entries_returned=count,
        consent_ids=() if grant is None else grant.consent_ids,
        break_glass_id=None if grant is None else grant.break_glass_id,
        policy_version=POLICY_VERSION if grant is None else grant.policy_version,
        refusal="" if refusal is None else refusal.rule,
    )
