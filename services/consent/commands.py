"""Commands on a client's consents, emergency access and disclosures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import NamedTuple, Unpack, cast
from uuid import UUID, uuid4

from carecoord.events import CareEvent, Kind, Role
from carecoord.events.access import DisclosureIntended, DisclosureRecorded
from carecoord.events.bounds import COUNT_MAX
from carecoord.events.consent import Recipient
from carecoord.events.positioned import Positioned
from carecoord.services.care.enrolled import on_enrolled
from carecoord.services.care.record import ClientRecord
from carecoord.services.careteam.team import CareTeam
from carecoord.services.consent.record import (
    TERM_MAX,
    ConsentRecord,
    ConsentTerms,
    DisclosureTerms,
)
from carecoord.services.consent.written import emergency_reason
from carecoord.services.kernel.policy import writer_sees
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork, named_for

CONSENT_ENDED = "the consent it relied on was no longer in force"


def _new_entry(client_id: UUID, step: Callable[[ConsentRecord, UUID], object]) -> Command[UUID]:
    """A disclosure, on an enrolled client's record, under an id drawn when the command is
    built (so a retry after a conflict records the same id)."""
    new_id = uuid4()
    command = on_enrolled(ConsentRecord, client_id, new_id, lambda record: step(record, new_id))
    return named_for(command, step)


def record_consent(
    stamp: Stamp,
    *,
    client_id: UUID,
    rules: timedelta = TERM_MAX,
    **terms: Unpack[ConsentTerms],
) -> Command[UUID]:
    """A consent under an id drawn when the command is built (as ``_new_entry``), checked
    against the client's enrolment, which their record holds, and the platform's furthest
    ``expiresAt`` ahead (``rules``, from ``consent_term_max_days``)."""
    consent_id = uuid4()

    def run(uow: UnitOfWork) -> UUID:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        team = uow.get(CareTeam, client_id)
        uow.get(ConsentRecord, client_id).record_consent(
            stamp,
            consent_id,
            team=team.members.keys() | team.left.keys(),
            enrolled_at=client.enrolled_at,
            discharged_at=client.discharged_at,
            last_discharge=client.gaps[-1][0] if client.gaps else None,
            term_max=rules,
            **terms,
        )
        return consent_id

    return run


def revoke_consent(
    stamp: Stamp, *, client_id: UUID, consent_id: UUID, reason: str = ""
) -> Command[UUID]:
    return on_enrolled(
        ConsentRecord,
        client_id,
        consent_id,
        lambda consents: consents.revoke(stamp, consent_id=consent_id, reason=reason),
    )


def break_glass(stamp: Stamp, *, client_id: UUID, reason: str) -> Command[UUID]:
    emergency_reason(reason)
    access_id = uuid4()

    def run(uow: UnitOfWork) -> UUID:
        uow.get(ClientRecord, client_id).require_enrolled()
        team = uow.get(CareTeam, client_id)
        current = team.members.get(stamp.actor.id)
        uow.get(ConsentRecord, client_id).break_glass(
            stamp,
            access_id=access_id,
            reason=reason,
            on_care_team=current is not None and current.role is stamp.actor.role,
        )
        return access_id

    return run


class Disclosed(NamedTuple):
    """A disclosure made by hand, and what its sender must send with the records: the 42 CFR
    2.32 notice recorded with it, and the scope of the consent it was made under
    (``Consent.scope``, as the forwarder sends it; None under emergency access)."""

    id: UUID
    notice: str
    consent_scope: str | None


def record_disclosure(
    stamp: Stamp, *, client_id: UUID, **terms: Unpack[DisclosureTerms]
) -> Command[Disclosed]:
    entry = _new_entry(client_id, lambda c, new_id: c.record_disclosure(stamp, new_id, **terms))

    def run(uow: UnitOfWork) -> Disclosed:
        disclosure_id = entry(uow)
        recorded = cast("DisclosureRecorded", uow.recorded()[-1].event)
        under, consents = recorded.consent_id, uow.get(ConsentRecord, client_id).consents
        scope = None if under is None else consents[under].scope()
        return Disclosed(disclosure_id, recorded.notice, scope)

    return named_for(run, entry)


def written_by(event: CareEvent) -> dict[str, Role]:
    """The free text ``event`` holds, each field by the role of its writer: the event's own
    (a progress step's restating of its goal's words is the goal's writer's, which the
    forwarder knows)."""
    return {name: event.actor.role for name in event.free_text if getattr(event, name)}


def disclose_events(
    stamp: Stamp,
    *,
    client_id: UUID,
    recipient: Recipient,
    events: Sequence[Positioned],
    destination: str,
    tells: Callable[[CareEvent], Iterable[Kind]] = lambda _: (),
    writers: Callable[[CareEvent], Mapping[str, Role]] = written_by,
) -> Command[list[DisclosureIntended]]:
    """Which of one client's ``events`` may go to ``recipient`` now, and under which consent.

    Each event goes only if a consent in force names the recipient and covers its kind and
    whatever else of the record it tells (``tells``: an alert on a QTc taken on methadone
    tells of check-ins and medications), and no disclosure recorded or intended on this
    record has it for them already (a replay of the stream, a forwarder restarted); the
    rest are withheld. An event with free text of its own goes under a consent covering all
    its writers read (``writers``, by field: ``written_by``) where one does, else under one
    covering its kind, the forwarder withholding the text that consent does not cover
    (``withheld_from``): a dose not given goes to a drug court consented to dosing, the
    nurse's note does not; a therapist's progress step on a prescriber's goal goes under a
    consent to what a therapist reads, her note with it, the goal's words it restates not.
    A correction, a hold, a discontinuation or another change of an entry goes so too, by
    its own kind: a dose it was sent entered in error, the recipient's copy is not left
    wrong. One ``DisclosureIntended`` per consent relied on (per ``COUNT_MAX`` events)
    names the events that are to go; the forwarder sends them, then records them sent
    (``record_sent``). Decided on the consent record itself, so a revocation and a
    disclosure cannot both pass, nor two disclosures of one event to one recipient.
    """

    def run(uow: UnitOfWork) -> list[DisclosureIntended]:
        record = uow.get(ConsentRecord, client_id)
        now = stamp.clock()
        once = list({p.event.event_id: p for p in events}.values())
        under: dict[UUID, UUID] = {}
        for offered in once:
            event = offered.event
            if record.was_disclosed(recipient, event.event_id):
                continue
            told = (event.kind, *tells(event))
            consent_id = record.consent_for(
                recipient, (*told, *_read_by(writers(event))), now
            ) or record.consent_for(recipient, told, now)
            if consent_id is not None:
                under[event.event_id] = consent_id
        intents = []
        for consent_id in dict.fromkeys(under.values()):
            going = [p for p in once if under.get(p.event.event_id) == consent_id]
            for start in range(0, len(going), COUNT_MAX):
                part = going[start : start + COUNT_MAX]
                intents.append(
                    record.intend_disclosure(
                        stamp,
                        uuid4(),
                        recipient=recipient,
                        consent_id=consent_id,
                        events=part,
                        description=described(part, destination),
                    )
                )
        return intents

    return run


def described(events: Sequence[Positioned], destination: str) -> str:
    """How many events went, of which kinds: not their types, which the client reads on
    the timeline too (on a blind taper, a ``medication.DoseChanged`` sent says a dose
    changed)."""
    kinds = Counter(p.event.kind.value for p in events)
    counted = ", ".join(f"{kind} ({n})" for kind, n in sorted(kinds.items()))
    return f"{len(events)} event(s) sent to {destination}: {counted}"[:1000]


def record_sent(stamp: Stamp, *, client_id: UUID, disclosure_ids: Sequence[UUID]) -> Command[None]:
    """The forwarder published what these intents name: each becomes a disclosure."""

    def run(uow: UnitOfWork) -> None:
        record = uow.get(ConsentRecord, client_id)
        for disclosure_id in disclosure_ids:
            record.record_sent(stamp, disclosure_id)

    return run


class Consented(NamedTuple):
    """What a consent covers (``kinds``: how much of an event's free text may go with it,
    ``withheld_from``) and its scope explained (``Consent.scope``), to go with what is sent
    under it."""

    kinds: frozenset[Kind]
    scope: str


def consented(client_id: UUID) -> Command[dict[UUID, Consented]]:
    """What each of the client's consents covers, by consent id. Records nothing."""

    def run(uow: UnitOfWork) -> dict[UUID, Consented]:
        consents = uow.get(ConsentRecord, client_id).consents
        return {i: Consented(c.kinds, c.scope()) for i, c in consents.items()}

    return run


def _read_by(writers: Mapping[str, Role]) -> frozenset[Kind]:
    """What a consent covers for all the free text to go: all its writers' roles read."""
    return frozenset[Kind]().union(*(writer_sees(role) for role in writers.values()))


def withheld_from(writers: Mapping[str, Role], kinds: frozenset[Kind]) -> list[str]:
    """The free text (by field, with its writer's role: ``written_by``) that goes no further
    than a consent to ``kinds``: each field whose writer's role reads more than ``kinds``."""
    return [name for name, role in writers.items() if not writer_sees(role) <= kinds]


def interrupted_disclosures(
    stamp: Stamp, *, client_id: UUID, recipient: Recipient
) -> Command[list[DisclosureIntended]]:
    """The intents to disclose to ``recipient`` that a stopped forwarder left neither
    recorded as sent nor withdrawn, to send again: those whose consent is still in force.
    The others are withdrawn (``consent-in-force``), and nothing of them is sent."""

    def run(uow: UnitOfWork) -> list[DisclosureIntended]:
        record = uow.get(ConsentRecord, client_id)
        now = stamp.clock()
        resent = []
        for intent in record.interrupted(recipient):
            if record.consents[intent.consent_id].in_force(now):
                resent.append(intent)
            else:
                record.withdraw(stamp, intent.disclosure_id, CONSENT_ENDED)
        return resent

    return run
