"""What a user could see of a client at a time T, rebuilt from the client's events in the
store: their care-team memberships, the client's consents and emergency accesses in force
at T, the grant the read policy (``services/kernel/policy.py``) decides from that standing,
and the timeline it would have shown.

Only what had been recorded by T counts (the timeline's ``asOf``), and times are compared
with T as the access views compare them with the clock: a membership counts from its start
until its end, a consent until it expires (its date, or the discharge it was given until)
or a revocation is recorded, an emergency access
until its window closes, a blind taper through its end date on the program's dosing day
(the day T falls on in its time zone, whatever offset T is written with). The grant is
today's policy applied to that standing; the access log's entries of the time name the
policy version that actually decided.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from uuid import UUID

from carecoord.events import Actor, Role
from carecoord.events.access import BreakGlassUsed
from carecoord.events.alerts import AlertAcknowledged, AlertRaised, AlertResolved
from carecoord.events.care import ClientEnrolled
from carecoord.events.careteam import CareTeamMemberAssigned, CareTeamMemberEnded
from carecoord.events.consent import (
    ConsentExpired,
    ConsentRecorded,
    ConsentRevoked,
    RecipientType,
)
from carecoord.events.medication import (
    DoseChanged,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderReinstated,
    TaperOrdered,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.timeline import DISCLOSING, disclosure_shown
from carecoord.services.careteam.team import ended
from carecoord.services.kernel.errors import Forbidden
from carecoord.services.kernel.policy import (
    PROGRAM_WIDE,
    ActiveConsent,
    Emergency,
    Grant,
    Restriction,
    Standing,
    decide,
    disclosures_shown,
    program_policy,
)
from carecoord.services.kernel.program_day import program_day

ALERTS = (AlertRaised, AlertAcknowledged, AlertResolved)


@dataclass(slots=True)
class Membership:
    member_id: str
    role: Role
    started_at: datetime
    ended_at: datetime | None = None

    def holds(self, at: datetime) -> bool:
        return self.started_at <= at and (self.ended_at is None or at < self.ended_at)


@dataclass(slots=True)
class Consent:
    consent_id: UUID
    event: ConsentRecorded
    revoked_at: datetime | None = None
    expired_at: datetime | None = None
    """When the event it expires on (the client's discharge) happened."""

    def names(self, user_id: str) -> bool:
        return any(
            r.type is RecipientType.MEMBER and r.id == user_id for r in self.event.recipients
        )

    def in_force(self, at: datetime) -> bool:
        ends = (self.event.expires_at, self.expired_at)
        return self.revoked_at is None and all(end is None or at < end for end in ends)

    def expiry(self, at: datetime) -> tuple[datetime, str] | None:
        """When and why it stopped granting by its own terms by ``at``, as ``consents``
        says it: the event it was given until, recorded by then and before its date, else
        its date once passed (``expires_at``); None while neither has."""
        date = self.event.expires_at
        on = self.event.expires_on
        if (
            self.expired_at is not None
            and on is not None
            and (date is None or self.expired_at < date)
        ):
            return self.expired_at, on.value
        if date is not None and date <= at:
            return date, "expires_at"
        return None


@dataclass(slots=True)
class AccessAsOf:
    """The client's access facts as recorded by ``at``."""

    client_id: UUID
    at: datetime
    zone: tzinfo = UTC
    """The program's time zone: a blind taper's end is a dosing day there."""
    program: str | None = None
    memberships: list[Membership] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    emergencies: list[BreakGlassUsed] = field(default_factory=list)
    blind_tapers: dict[UUID, date | None] = field(default_factory=dict)
    recorded: list[Positioned] = field(default_factory=list)
    """Every event of the client recorded by ``at``, in log order."""

    @classmethod
    def rebuilt(
        cls, client_id: UUID, history: Iterable[Positioned], at: datetime, zone: tzinfo = UTC
    ) -> AccessAsOf:
        found = cls(client_id, at, zone)
        for item in history:
            if item.event.recorded_at <= at:
                found._apply(item)
        return found

    def _apply(self, item: Positioned) -> None:
        self.recorded.append(item)
        event = item.event
        if isinstance(event, ClientEnrolled):
            self.program = event.program
        elif isinstance(event, CareTeamMemberAssigned):
            self.memberships.append(Membership(event.member_id, event.role, event.occurred_at))
        elif isinstance(event, CareTeamMemberEnded):
            for open_one in self.memberships:
                if open_one.member_id == event.member_id and open_one.ended_at is None:
                    open_one.ended_at = ended(event)
        elif isinstance(event, ConsentRecorded):
            self.consents.append(Consent(event.consent_id, event))
        elif isinstance(event, ConsentRevoked | ConsentExpired):
            self._end_consent(event)
        elif isinstance(event, BreakGlassUsed):
            self.emergencies.append(event)
        self._restrict(event)

    def _end_consent(self, event: ConsentRevoked | ConsentExpired) -> None:
        """A revocation, or the event the consent was given until (the client's discharge)."""
        for consent in self.consents:
            if consent.consent_id != event.consent_id:
                continue
            if isinstance(event, ConsentExpired):
                consent.expired_at = event.occurred_at
            elif consent.revoked_at is None:
                consent.revoked_at = event.occurred_at

    def _restrict(self, event: object) -> None:
        """A blind taper hides doses from the client until replaced, stopped or past its end."""
        if isinstance(event, DoseChanged | TaperOrdered):
            self.blind_tapers.pop(event.prior_order_id, None)
        if isinstance(event, OrderDiscontinued | OrderEnteredInError):
            self.blind_tapers.pop(event.order_id, None)
        if isinstance(event, TaperOrdered | OrderReinstated) and event.blind:
            self.blind_tapers[event.order_id] = event.end

    def memberships_of(self, user_id: str) -> list[Membership]:
        return [m for m in self.memberships if m.member_id == user_id]

    def consents_naming(self, user_id: str) -> list[Consent]:
        return [c for c in self.consents if c.names(user_id)]

    def consents_for(self, reader: Actor) -> tuple[ActiveConsent, ...]:
        """The consents the reader's grant rests on at ``at``: naming them, in force, and
        recorded by someone else, as the live grant counts them (``services/gate/grants.py``)."""
        return tuple(
            ActiveConsent(c.consent_id, frozenset(c.event.data_kinds), c.event.expires_at)
            for c in self.consents_naming(reader.id)
            if c.in_force(self.at) and c.event.actor.id != reader.id
        )

    def emergencies_of(self, user_id: str) -> list[BreakGlassUsed]:
        return [e for e in self.emergencies if e.member_id == user_id]

    def standing(self, reader: Actor) -> Standing:
        at = self.at
        mine = [m for m in self.memberships_of(reader.id) if m.role is reader.role and m.holds(at)]
        closing = [m.ended_at for m in mine if m.ended_at is not None]
        open_emergencies = [
            e for e in self.emergencies_of(reader.id) if e.role is reader.role and at < e.expires_at
        ]
        emergency = max(open_emergencies, key=lambda e: e.expires_at, default=None)
        return Standing(
            on_care_team=bool(mine),
            team_ends_at=max(closing) if mine and len(closing) == len(mine) else None,
            is_self=reader.role is Role.CLIENT and reader.id == str(self.client_id),
            consents=self.consents_for(reader),
            emergency=None
            if emergency is None
            else Emergency(emergency.access_id, emergency.expires_at),
            program=program_policy(self.program),
            restrictions=frozenset(
                Restriction.BLIND_TAPER
                for until in self.blind_tapers.values()
                if until is None or until >= program_day(at, self.zone)
            ),
        )

    def grant(self, reader: Actor, program: str | None = None) -> Grant:
        """The grant the policy decides on the standing at ``at``; Forbidden when it refuses.

        ``program``: the one a program admin's or auditor's token names, which confines
        their reads to the clients enrolled in it (as the gate does, ``admin-program``,
        ``auditor-program``); the token is not recorded, so the auditor says which it named."""
        if reader.role in PROGRAM_WIDE and program is not None and program != self.program:
            raise Forbidden(
                "clientId",
                "auditor-program" if reader.role is Role.AUDITOR else "admin-program",
                f"a token naming program {program!r} reads only its clients; client"
                f" {self.client_id} was not enrolled in it by {self.at.isoformat()}",
            )
        return decide(reader.role, self.standing(reader))

    def timeline(
        self, grant: Grant, reader: Actor, alert_rules: Collection[str] | None = None
    ) -> Sequence[Positioned]:
        """What the timeline would have shown: in clinical order, as the timeline reads, with
        the alerts of ``alert_rules`` alone (None: every rule's), as the timeline leaves out
        an alert telling of more than the grant shows."""
        shown = [
            item
            for item in self.recorded
            if grant.shows(item.event.kind, authored_by_reader=item.event.actor.id == reader.id)
            and (alert_rules is None or _alert_shown(item.event, alert_rules))
            and (
                not isinstance(item.event, DISCLOSING)
                or disclosure_shown(item.event.data_kinds, disclosures_shown(reader.role, grant))
            )
        ]
        return sorted(shown, key=lambda item: (item.event.occurred_at, item.position))


def _alert_shown(event: object, alert_rules: Collection[str]) -> bool:
    """Whether an entry passes the alert filter: anything but an alert does; an alert (or its
    acknowledgement or resolution) of one of ``alert_rules`` does."""
    return not isinstance(event, ALERTS) or event.rule_id in alert_rules
