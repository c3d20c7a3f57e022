"""Commands on a client's consents, emergency access and disclosures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID, uuid4

from carecoord.events import CareEvent, Kind
from carecoord.events.consent import Recipient
from carecoord.events.envelope import type_name
from carecoord.services.care.record import ClientRecord
from carecoord.services.careteam.team import CareTeam
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork


def record_consent(
    stamp: Stamp,
    *,
    client_id: UUID,
    recipients: tuple[Recipient, ...],
    purpose: str,
    data_kinds: tuple[Kind, ...],
    signed_on: date,
    signed_by: str,
    expires_at: datetime | None = None,
    expiry_event: str = "",
) -> Command[UUID]:
    consent_id = uuid4()

    def run(uow: UnitOfWork) -> UUID:
        uow.get(ClientRecord, client_id).require_enrolled()
        uow.get(ConsentRecord, client_id).record_consent(
            stamp,
            consent_id=consent_id,
            recipients=recipients,
            purpose=purpose,
            data_kinds=data_kinds,
            expires_at=expires_at,
            expiry_event=expiry_event,
            signed_on=signed_on,
            signed_by=signed_by,
        )
        return consent_id

    return run


def revoke_consent(
    stamp: Stamp, *, client_id: UUID, consent_id: UUID, reason: str = ""
) -> Command[UUID]:
    def run(uow: UnitOfWork) -> UUID:
        uow.get(ConsentRecord, client_id).revoke(stamp, consent_id=consent_id, reason=reason)
        return consent_id

    return run


def break_glass(stamp: Stamp, *, client_id: UUID, reason: str) -> Command[UUID]:
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


def record_disclosure(
    stamp: Stamp,
    *,
    client_id: UUID,
    recipient: Recipient,
    purpose: str,
    data_kinds: tuple[Kind, ...],
    description: str,
    consent_id: UUID | None = None,
    break_glass_id: UUID | None = None,
) -> Command[UUID]:
    disclosure_id = uuid4()

    def run(uow: UnitOfWork) -> UUID:
        uow.get(ClientRecord, client_id).require_enrolled()
        uow.get(ConsentRecord, client_id).record_disclosure(
            stamp,
            disclosure_id=disclosure_id,
            recipient=recipient,
            purpose=purpose,
            data_kinds=data_kinds,
            description=description,
            consent_id=consent_id,
            break_glass_id=break_glass_id,
        )
        return disclosure_id

    return run


def disclose_events(
    stamp: Stamp,
    *,
    client_id: UUID,
    recipient: Recipient,
    events: Sequence[CareEvent],
    destination: str,
) -> Command[dict[UUID, UUID]]:
    """Which of one client's ``events`` may go to ``recipient`` now, and under which consent.

    Each event goes only if a consent in force names the recipient and covers its kind;
    the rest are withheld. One ``DisclosureRecorded`` per consent relied on says what went.
    Decided on the consent record itself, so a revocation and a disclosure cannot both pass.
    """

    def run(uow: UnitOfWork) -> dict[UUID, UUID]:
        record = uow.get(ConsentRecord, client_id)
        now = stamp.clock()
        under: dict[UUID, UUID] = {}
        for event in events:
            consent_id = record.consent_for(recipient, (event.kind,), now)
            if consent_id is not None:
                under[event.event_id] = consent_id
        for consent_id in dict.fromkeys(under.values()):
            sent = [e for e in events if under.get(e.event_id) == consent_id]
            types = ", ".join(sorted({type_name(type(e)) for e in sent}))
            record.record_disclosure(
                stamp,
                disclosure_id=uuid4(),
                recipient=recipient,
                purpose=record.consents[consent_id].purpose,
                data_kinds=tuple(sorted({e.kind for e in sent})),
                description=f"{len(sent)} event(s) sent to {destination}: {types}"[:1000],
                consent_id=consent_id,
                break_glass_id=None,
            )
        return under

    return run
