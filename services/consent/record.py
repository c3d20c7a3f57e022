"""The consent record aggregate: one client's consents, emergency accesses and disclosures.

A disclosure is checked against the consents in force when it is recorded (or, by the
forwarder, intended), so the two live in one aggregate: a revocation and a disclosure racing
each other cannot both succeed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NotRequired, TypedDict
from uuid import UUID

from carecoord.events import CareEvent, Kind, Role
from carecoord.events.access import (
    BreakGlassUsed,
    DisclosureIntended,
    DisclosureRecorded,
    DisclosureWithdrawn,
)
from carecoord.events.bounds import said
from carecoord.events.consent import (
    ConsentExpired,
    ConsentRecorded,
    ConsentRevoked,
    ExpiryEvent,
    Recipient,
    RecipientType,
)
from carecoord.events.positioned import Positioned
from carecoord.services.consent.notice import REDISCLOSURE_NOTICE
from carecoord.services.consent.recipients import recipient_named, recipients_named
from carecoord.services.consent.written import emergency_reason, shown
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.clinical_time import day_after_enrolment
from carecoord.services.kernel.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.policy import (
    BREAK_GLASS_WINDOW,
    MAY_BREAK_GLASS,
    NOTES,
    POLICY_VERSION,
    writer_sees,
)
from carecoord.services.kernel.stamp import Stamp

EXPIRY_REQUIRED = "expiry-required"
"""A consent states its expiry: a date, or an event or condition (42 CFR 2.31(a)(6)). Consents
recorded before this was refused are kept and apply as recorded: until revoked."""

TERM_MAX = timedelta(days=3653)
"""Ten years, the furthest a consent's ``expiresAt`` may lie ahead unless the platform's
settings say otherwise (``consent_term_max_days``, passed as ``term_max``): a later date is
a typo (2199 for 2029) that grants for the rest of the client's life. A consent meant to
last is given an event or condition instead (``expiryEvent``: "none" for one to treatment,
payment and health care operations). Consents recorded before this was refused read as
recorded."""
TERM_PLAUSIBLE = "expiry-within-term"

CONSENT_PURPOSE = "consent-purpose"
"""A disclosure under a consent is made for the purpose the consent states (42 CFR
2.31(a)(4)), and 2.13(a) limits what goes to what that purpose needs: one for another purpose
is another disclosure, which the client has not consented to."""

PURPOSE_STATED = "purpose-stated"
"""A disclosure under no consent (an emergency access) states its own purpose."""

EXPIRY_PASSED = "expiry-passed"
"""A consent expiring on an event that has happened for the client (discharge, while they are
discharged) would end before it began."""


class ConsentTerms(TypedDict):
    """What a consent says, as a command is given it and the record checks it."""

    recipients: tuple[Recipient, ...]
    purpose: str
    data_kinds: tuple[Kind, ...]
    signed_on: date
    signed_by: str
    expires_at: NotRequired[datetime | None]
    expiry_event: NotRequired[str]
    expires_on: NotRequired[ExpiryEvent | None]


class DisclosureTerms(TypedDict):
    """What a disclosure says went where, and the consent or emergency access it went under;
    under a consent its purpose is the consent's, and may be left out (None)."""

    recipient: Recipient
    purpose: NotRequired[str | None]
    data_kinds: tuple[Kind, ...]
    description: str
    consent_id: NotRequired[UUID | None]
    break_glass_id: NotRequired[UUID | None]
    event_ids: NotRequired[tuple[UUID, ...]]


@dataclass(slots=True)
class Consent:
    recipients: tuple[Recipient, ...]
    kinds: frozenset[Kind]
    expires_at: datetime | None
    purpose: str = ""
    expiry_event: str = ""
    revoked: bool = False
    signed_on: date | None = None
    expires_on: ExpiryEvent | None = None
    expired_at: datetime | None = None
    """When the event it expires on (``expires_on``) happened: it grants nothing from then."""
    recorded_at: datetime | None = None
    """When it was recorded: it expires no earlier, whenever the event is dated back to."""

    def scope(self) -> str:
        """What the consent lets go, for whom to read beside what went under it: 42 CFR
        2.32(b) has each disclosure with consent carry a copy of the consent or a clear
        explanation of its scope. One line of JSON (a message header holds no line break)."""
        return json.dumps(
            {
                "purpose": self.purpose,
                "dataKinds": sorted(self.kinds),
                "signedOn": None if self.signed_on is None else self.signed_on.isoformat(),
                "expiresAt": None if self.expires_at is None else self.expires_at.isoformat(),
                "expiryEvent": self.expiry_event or None,
                "expiresOn": None if self.expires_on is None else self.expires_on.name,
            }
        )

    def in_force(self, now: datetime) -> bool:
        return not self.revoked and all(end is None or now < end for end in self.ends())

    def ends(self) -> tuple[datetime | None, datetime | None]:
        """Its date, and when the event it expires on happened (None: not, or none)."""
        return (self.expires_at, self.expired_at)

    def names(self, recipient: Recipient) -> bool:
        return any(r.type == recipient.type and r.id == recipient.id for r in self.recipients)

    def says(
        self,
        recipients: tuple[Recipient, ...],
        kinds: frozenset[Kind],
        purpose: str,
        expires_at: datetime | None,
        expiry_event: str,
        expires_on: ExpiryEvent | None,
    ) -> bool:
        """Whether this consent grants exactly what those terms would, and ends as they would
        (42 CFR 2.31(a)(6): the date, and the event or condition, it expires on): one ending on
        another condition is another consent, which the client revokes on its own."""
        return (
            {_key(r) for r in self.recipients} == {_key(r) for r in recipients}
            and self.kinds == kinds
            and self.purpose == purpose
            and self.expires_at == expires_at
            and _as_read(self.expiry_event) == _as_read(expiry_event)
            and self.expires_on == expires_on
        )


def _as_read(text: str) -> str:
    """``text`` as a reader compares it (an expiry event on a form sent twice, a purpose
    restated), its capitals and spacing aside."""
    return " ".join(text.split()).casefold()


class ConsentRecord(Aggregate, context="consent"):
    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.consents: dict[UUID, Consent] = {}
        self.emergencies: dict[UUID, BreakGlassUsed] = {}
        self.disclosed: dict[tuple[str, str], dict[UUID, UUID | None]] = {}
        """The store's events each recipient was sent, or is being sent under an intent not
        yet completed, by (recipient type, id): each with the consent it went under."""
        self.intended: dict[UUID, DisclosureIntended] = {}
        """The forwarder's intents neither recorded as sent nor withdrawn, by disclosure id."""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, ConsentRecorded):
            self.consents[event.consent_id] = Consent(
                event.recipients,
                frozenset(event.data_kinds),
                event.expires_at,
                event.purpose,
                event.expiry_event,
                signed_on=event.signed_on,
                expires_on=event.expires_on,
                recorded_at=event.occurred_at,
            )
        elif isinstance(event, ConsentExpired):
            self.consents[event.consent_id].expired_at = event.occurred_at
        elif isinstance(event, ConsentRevoked):
            self.consents[event.consent_id].revoked = True
        elif isinstance(event, BreakGlassUsed):
            self.emergencies[event.access_id] = event
        elif isinstance(event, DisclosureIntended | DisclosureRecorded):
            if isinstance(event, DisclosureIntended):
                self.intended[event.disclosure_id] = event
            else:
                self.intended.pop(event.disclosure_id, None)
            sent = self.disclosed.setdefault(_key(event.recipient), {})
            sent.update(dict.fromkeys(event.event_ids, event.consent_id))
        elif isinstance(event, DisclosureWithdrawn):
            intent = self.intended.pop(event.disclosure_id)
            for event_id in intent.event_ids:
                self.disclosed[_key(intent.recipient)].pop(event_id, None)

    def _record_now(self, stamp: Stamp, event: type[CareEvent], **facts: object) -> None:
        """Consents, revocations, emergency accesses and disclosures take effect when they
        are recorded: their clinical time is the recording's."""
        self.record(stamp.event(event, self.client_id, None, **facts))

    def consent_for(
        self, recipient: Recipient, kinds: Iterable[Kind], now: datetime
    ) -> UUID | None:
        """A consent in force now that names ``recipient`` and covers every one of ``kinds``."""
        wanted = frozenset(kinds)
        return next((c for c in self.consents if self.covers(c, recipient, wanted, now)), None)

    def covers(
        self, consent_id: UUID, recipient: Recipient, kinds: Iterable[Kind], now: datetime
    ) -> bool:
        """Whether ``consent_id`` is in force now, names ``recipient`` and covers ``kinds``."""
        c = self.consents[consent_id]
        return c.in_force(now) and c.names(recipient) and frozenset(kinds) <= c.kinds

    def was_disclosed(self, recipient: Recipient, event_id: UUID) -> bool:
        """Whether a disclosure recorded here already sent the event to ``recipient``, or an
        intent not yet completed is sending it."""
        return event_id in self.disclosed.get(_key(recipient), {})

    def interrupted(self, recipient: Recipient) -> list[DisclosureIntended]:
        """The intents to disclose to ``recipient`` neither recorded as sent nor withdrawn."""
        return [i for i in self.intended.values() if _key(i.recipient) == _key(recipient)]

    def record_consent(
        self,
        stamp: Stamp,
        consent_id: UUID,
        *,
        recipients: tuple[Recipient, ...],
        purpose: str,
        data_kinds: tuple[Kind, ...],
        signed_on: date,
        signed_by: str,
        enrolled_at: datetime | None,
        discharged_at: datetime | None = None,
        last_discharge: datetime | None = None,
        expires_at: datetime | None = None,
        expiry_event: str = "",
        expires_on: ExpiryEvent | None = None,
        team: Collection[str] = (),
        term_max: timedelta = TERM_MAX,
    ) -> None:
        """Checked against the client's enrolment (``enrolled_at``, from the client's record):
        a consent signed before it is a date mistyped, as 1900-01-01 is; one expiring on
        discharge against the discharge the client is out of treatment since
        (``discharged_at``, None while in treatment) and their latest discharge
        (``last_discharge``): one signed on a day before it ended there, by its terms. A
        member is not named by an id reading as another of ``team`` (their care team, now or
        before) or of the members the client's consents name."""
        named = recipients_named(recipients, "recipients", stamp.actor, {*team, *self._members()})
        kinds = tuple(dict.fromkeys(data_kinds))
        purpose, signed_by = shown(purpose, "purpose"), shown(signed_by, "signedBy")
        expiry_event = said(expiry_event)
        if Kind.COUNSELING_NOTE in kinds and len(kinds) > 1:
            raise InvalidInput(
                "dataKinds",
                "separate-note-consent",
                "SUD counseling notes need a consent of their own (42 CFR 2.31(b)); "
                "record one consent for counseling_note and another for the other kinds",
            )
        if Kind.COUNSELING_NOTE in kinds and stamp.actor.role is not Role.PROGRAM_ADMIN:
            raise Forbidden(
                "dataKinds",
                "note-consent-by-admin",
                "a consent that opens SUD counseling notes is recorded by a program admin: a"
                " colleague's word alone would open one therapist's notes to another",
            )
        if expires_at is None and not expiry_event and expires_on is None:
            raise InvalidInput(
                "expiresAt",
                EXPIRY_REQUIRED,
                "a consent states when it ends (42 CFR 2.31(a)(6)): give expiresAt, expiresOn"
                ' (DISCHARGE), or expiryEvent naming the event or condition ("end of'
                ' treatment"; "none" for a consent to treatment, payment and health care'
                " operations)",
            )
        if expires_on is ExpiryEvent.DISCHARGE and discharged_at is not None:
            raise RuleViolation(
                "expiresOn",
                EXPIRY_PASSED,
                f"the client was discharged {discharged_at.isoformat(timespec='minutes')} and"
                " is not readmitted: a consent until discharge would end before it began;"
                " readmit them first, or give expiresAt or expiryEvent",
            )
        now = stamp.clock()
        if (
            expires_on is ExpiryEvent.DISCHARGE
            and last_discharge is not None
            and signed_on < stamp.day(last_discharge)
        ):
            raise RuleViolation(
                "expiresOn",
                EXPIRY_PASSED,
                f"signed {signed_on.isoformat()}, before the client's discharge"
                f" {last_discharge.isoformat(timespec='minutes')}: a consent until discharge"
                " signed then ended at that discharge; the client signs a new one",
            )
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("expiresAt", "future-expiry", "expiresAt must be in the future")
        if expires_at is not None and expires_at > now + term_max:
            raise InvalidInput(
                "expiresAt",
                TERM_PLAUSIBLE,
                f"expiresAt {expires_at.isoformat(timespec='minutes')} is more than"
                f" {term_max.days} days ahead; give a date by"
                f" {(now + term_max).isoformat(timespec='minutes')}, or expiryEvent for a consent"
                ' meant to last ("none" for treatment, payment and health care operations)',
            )
        if signed_on > stamp.day(now):
            raise InvalidInput("signedOn", "signed-not-future", "signedOn cannot be in the future")
        if enrolled_at is not None:
            day_after_enrolment(
                "signedOn", signed_on, stamp.day(enrolled_at), "no consent is signed before it"
            )
        if consent_id in self.consents:
            raise RuleViolation("consentId", "new-consent", f"consent {consent_id} exists")
        self._new_terms(now, named, frozenset(kinds), purpose, expires_at, expiry_event, expires_on)
        self._record_now(
            stamp,
            ConsentRecorded,
            consent_id=consent_id,
            recipients=named,
            purpose=purpose,
            data_kinds=kinds,
            expires_at=expires_at,
            expiry_event=expiry_event,
            expires_on=expires_on,
            signed_on=signed_on,
            signed_by=signed_by,
        )

    def _members(self) -> set[str]:
        """The members the client's consents name, revoked and expired ones too."""
        return {
            r.id
            for consent in self.consents.values()
            for r in consent.recipients
            if r.type is RecipientType.MEMBER
        }

    def _new_terms(
        self,
        now: datetime,
        recipients: tuple[Recipient, ...],
        kinds: frozenset[Kind],
        purpose: str,
        expires_at: datetime | None,
        expiry_event: str,
        expires_on: ExpiryEvent | None,
    ) -> None:
        """Refuse a consent that one in force already grants word for word (a form sent
        twice): the client would revoke the one they were shown, and the twin kept granting."""
        terms = (recipients, kinds, purpose, expires_at, expiry_event, expires_on)
        for consent_id, consent in self.consents.items():
            if consent.in_force(now) and consent.says(*terms):
                raise RuleViolation(
                    "recipients",
                    "consent-in-force",
                    f"consent {consent_id}, in force, already names these recipients for these "
                    "kinds, purpose and expiry; revoke it first to record it anew",
                )

    def expire_on(self, stamp: Stamp, happened: ExpiryEvent, at: datetime) -> None:
        """The event ``happened`` at ``at``: each consent in force expiring on it ends then
        (not later than now: one dated a little ahead ends at once, as a membership does), or
        at its recording if that was later (a discharge dated back before it: an expiry before
        it was recorded would end it before it began)."""
        happened_at = min(at, stamp.clock())
        for consent_id, consent in self.consents.items():
            ended = max(happened_at, consent.recorded_at or happened_at)
            if consent.expires_on is happened and consent.in_force(ended):
                expired = stamp.event(
                    ConsentExpired, self.client_id, ended, consent_id=consent_id,
                    expired_on=happened,
                )  # fmt: skip
                self.record(expired)

    def revoke(self, stamp: Stamp, *, consent_id: UUID, reason: str) -> None:
        actor = stamp.actor
        if actor.role is Role.CLIENT and actor.id != str(self.client_id):
            raise Forbidden("consentId", "own-consent", "a client may revoke only their consents")
        consent = self.consents.get(consent_id)
        if consent is None:
            raise NotFound("consentId", "known-consent", f"this client has no consent {consent_id}")
        if consent.revoked:
            raise RuleViolation("consentId", "revoke-once", f"consent {consent_id} is revoked")
        self._record_now(stamp, ConsentRevoked, consent_id=consent_id, reason=reason.strip())

    def break_glass(
        self, stamp: Stamp, *, access_id: UUID, reason: str, on_care_team: bool
    ) -> None:
        actor = stamp.actor
        if actor.role not in MAY_BREAK_GLASS:
            raise Forbidden("role", "may-break-glass", f"{actor.role.value} may not break glass")
        if on_care_team:
            raise RuleViolation(
                "clientId", "outside-care-team", "you are on this care team; read the record"
            )
        reason = emergency_reason(reason)
        expires_at = stamp.clock() + BREAK_GLASS_WINDOW
        self._record_now(
            stamp,
            BreakGlassUsed,
            access_id=access_id,
            member_id=actor.id,
            role=actor.role,
            reason=reason,
            expires_at=expires_at,
            policy_version=POLICY_VERSION,
        )

    def record_disclosure(
        self,
        stamp: Stamp,
        disclosure_id: UUID,
        *,
        recipient: Recipient,
        purpose: str | None = None,
        data_kinds: tuple[Kind, ...],
        description: str,
        consent_id: UUID | None = None,
        break_glass_id: UUID | None = None,
        event_ids: tuple[UUID, ...] = (),
    ) -> None:
        """Under a consent, for its purpose (``purpose`` None: the consent's); under an
        emergency access, for the ``purpose`` given."""
        recipient = recipient_named(recipient, "recipient")
        given = None if purpose is None else shown(purpose, "purpose")
        description = shown(description, "description")
        kinds = frozenset(data_kinds)
        self._may_disclose(stamp.clock(), recipient, kinds, consent_id, break_glass_id, event_ids)
        purpose = self._purpose(given, consent_id)
        recipient = self._named(recipient, consent_id)
        self._record_now(
            stamp,
            DisclosureRecorded,
            disclosure_id=disclosure_id,
            recipient=recipient,
            purpose=purpose,
            data_kinds=tuple(sorted(kinds)),
            description=description,
            consent_id=consent_id,
            break_glass_id=break_glass_id,
            notice=REDISCLOSURE_NOTICE,
            event_ids=tuple(dict.fromkeys(event_ids)),
        )

    def intend_disclosure(
        self,
        stamp: Stamp,
        disclosure_id: UUID,
        *,
        recipient: Recipient,
        consent_id: UUID,
        events: Sequence[Positioned],
        description: str,
    ) -> DisclosureIntended:
        """The forwarder's decision to send ``events`` under ``consent_id``, checked as a
        disclosure is, recorded before anything is sent."""
        recipient = recipient_named(recipient, "recipient")
        kinds = frozenset(p.event.kind for p in events)
        event_ids = tuple(p.event.event_id for p in events)
        self._may_disclose(stamp.clock(), recipient, kinds, consent_id, None, event_ids)
        recipient = self._named(recipient, consent_id)
        self._record_now(
            stamp,
            DisclosureIntended,
            disclosure_id=disclosure_id,
            recipient=recipient,
            purpose=self.consents[consent_id].purpose,
            data_kinds=tuple(sorted(kinds)),
            description=shown(description, "description"),
            consent_id=consent_id,
            notice=REDISCLOSURE_NOTICE,
            event_ids=event_ids,
            positions=tuple(p.position for p in events),
        )
        return self.intended[disclosure_id]

    def record_sent(self, stamp: Stamp, disclosure_id: UUID) -> None:
        """The intent's events were published: the disclosure, on the intent's terms. Not
        checked against the consent again: they went under it, whatever happened since. An
        intent already recorded as sent (or withdrawn) is left as it is."""
        intent = self.intended.get(disclosure_id)
        if intent is None:
            return
        self._record_now(
            stamp,
            DisclosureRecorded,
            disclosure_id=disclosure_id,
            recipient=intent.recipient,
            purpose=intent.purpose,
            data_kinds=intent.data_kinds,
            description=intent.description,
            consent_id=intent.consent_id,
            notice=intent.notice,
            event_ids=intent.event_ids,
        )

    def withdraw(self, stamp: Stamp, disclosure_id: UUID, reason: str) -> None:
        """An interrupted intent that is not to be sent any more."""
        intent = self.intended[disclosure_id]
        self._record_now(
            stamp,
            DisclosureWithdrawn,
            disclosure_id=disclosure_id,
            recipient=intent.recipient,
            consent_id=intent.consent_id,
            reason=reason,
        )

    def _purpose(self, given: str | None, consent_id: UUID | None) -> str:
        """The purpose a disclosure is recorded for: under a consent, the consent's words,
        ``given`` refused unless it says the same; checked once the consent is known to allow
        the rest, so the refusal tells its purpose only to one who may disclose under it (and
        is answered its scope)."""
        if consent_id is None:
            if given is None:
                raise InvalidInput(
                    "purpose",
                    PURPOSE_STATED,
                    "say what the disclosure is for: only one under a consent takes its purpose",
                )
            return given
        consented = self.consents[consent_id].purpose
        if given is not None and _as_read(given) != _as_read(consented):
            raise RuleViolation(
                "purpose",
                CONSENT_PURPOSE,
                f"consent {consent_id} is for {consented!r}: a disclosure under it is made for"
                " that purpose (42 CFR 2.31(a)(4)); leave purpose out, or record the client's"
                " consent for this one",
            )
        return consented

    def _named(self, recipient: Recipient, consent_id: UUID | None) -> Recipient:
        """``recipient`` with the name the consent relied on gives them, where none was given:
        the accounting of disclosures names whom the data went to (42 CFR 2.24), and a
        forwarder started without ``--name`` recorded every disclosure to no name."""
        consent = None if consent_id is None else self.consents[consent_id]
        if recipient.name or consent is None:
            return recipient
        names = (r.name for r in consent.recipients if _key(r) == _key(recipient))
        return recipient.model_copy(update={"name": next(names, "")})

    def _may_disclose(
        self,
        now: datetime,
        recipient: Recipient,
        kinds: frozenset[Kind],
        consent_id: UUID | None,
        break_glass_id: UUID | None,
        event_ids: tuple[UUID, ...],
    ) -> None:
        """Refuse a disclosure no consent or emergency access in force allows, or one naming
        an event the recipient was sent already."""
        again = [e for e in event_ids if self.was_disclosed(recipient, e)]
        if again:
            raise RuleViolation(
                "eventIds", "disclosed-once", f"{len(again)} event(s) went to this recipient"
            )
        if (consent_id is None) == (break_glass_id is None):
            raise InvalidInput(
                "consentId", "one-authority", "name either the consentId or the breakGlassId"
            )
        if consent_id is not None:
            consent = self.consents.get(consent_id)
            if consent is None or not consent.in_force(now):
                raise RuleViolation(
                    "consentId", "consent-in-force", f"consent {consent_id} is not in force"
                )
            if not consent.names(recipient):
                raise RuleViolation(
                    "recipient", "consent-names-recipient", "the consent does not name them"
                )
            if not kinds <= consent.kinds:
                extra = ", ".join(sorted(k.value for k in kinds - consent.kinds))
                raise RuleViolation(
                    "dataKinds", "consent-covers-kinds", f"the consent does not cover: {extra}"
                )
        elif break_glass_id is not None:
            emergency = self.emergencies.get(break_glass_id)
            if emergency is None or not now < emergency.expires_at:
                raise RuleViolation(
                    "breakGlassId",
                    "emergency-in-force",
                    f"no emergency access {break_glass_id} now",
                )
            if kinds & NOTES:
                raise RuleViolation(
                    "dataKinds",
                    "emergency-covers-kinds",
                    "an emergency access opens no counseling_note: SUD counseling notes go"
                    " under a consent for them alone (42 CFR 2.31)",
                )
            if extra := ", ".join(sorted(k.value for k in kinds - writer_sees(emergency.role))):
                raise RuleViolation(
                    "dataKinds",
                    "emergency-covers-kinds",
                    f"the emergency access opens what a {emergency.role} reads on the team,"
                    f" not: {extra}",
                )


def _key(recipient: Recipient) -> tuple[str, str]:
    return (recipient.type.value, recipient.id)
