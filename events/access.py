"""Access itself as events: emergency access, disclosures, and the log of every read.

``BreakGlassUsed`` and the disclosure events (``DisclosureIntended``, ``DisclosureRecorded``,
``DisclosureWithdrawn``) are facts about a client's record and go in the clinical store
(program admins and auditors see them). ``ClientRecordRead`` is one entry of
the access log: it lives in its own append-only table and never in the clinical store or on
the ``care.>`` subjects (see docs/access.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field, PositiveInt, model_validator

from carecoord.events.consent import Recipient
from carecoord.events.envelope import CareEvent, Kind, Role


class _Access(CareEvent):
    context: ClassVar[str] = "access"
    type_kind: ClassVar[Kind] = Kind.CONSENT


class Basis(StrEnum):
    """Why a reader may see a client's record (FHIR AuditEvent purposeOfUse, roughly)."""

    CARE_TEAM = "care_team"
    CONSENT = "consent"
    SELF = "self"
    BREAK_GLASS = "break_glass"
    PROGRAM = "program"
    AUDIT = "audit"
    NONE = "none"


class BreakGlassUsed(_Access):
    """A clinician outside the care team opened the record in an emergency (42 CFR 2.51).

    It is the alert to the program: program admins query these and see them on the timeline.
    The reason stays out of the summary; it may describe the emergency, so it is free text:
    it goes to a recipient, or is shown a reader, only with all its writer's role reads.
    """

    summary_template: ClassVar[str] = "Emergency access by {member_id} ({role})"
    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    access_id: UUID
    member_id: str = Field(min_length=1, max_length=200)
    role: Role
    reason: str = Field(min_length=10, max_length=1000)
    expires_at: AwareDatetime
    policy_version: str


class _Addressed(_Access):
    """A disclosure's event: its summary names the recipient, by id when it has no name."""

    if TYPE_CHECKING:
        recipient: Recipient

    @property
    def recipient_name(self) -> str:
        return self.recipient.name or self.recipient.id

    def summary(self) -> str:
        return self.summary_template.format(**self.facts(), recipient_name=self.recipient_name)


class DisclosureIntended(_Addressed):
    """The disclosure forwarder is about to send store events to a recipient under a consent.

    Recorded before anything is published, so nothing leaves without a record naming the
    consent relied on; ``DisclosureRecorded`` with the same ``disclosure_id`` follows once
    the events were published, or ``DisclosureWithdrawn`` when the consent ended first. An
    intent with neither was interrupted (a crash): the forwarder sends it again when it
    starts, by ``positions``, under the same message ids.
    """

    summary_template: ClassVar[str] = "Disclosure to {recipient_name} intended for {purpose}"

    disclosure_id: UUID
    recipient: Recipient
    purpose: str = Field(min_length=1, max_length=500)
    data_kinds: tuple[Kind, ...] = Field(min_length=1)
    description: str = Field(min_length=1, max_length=1000)
    consent_id: UUID
    notice: str = Field(min_length=1)
    event_ids: tuple[UUID, ...] = Field(min_length=1)
    positions: tuple[PositiveInt, ...] = Field(min_length=1)
    """The store position of each of ``event_ids``, in the same order."""

    @model_validator(mode="after")
    def _a_position_per_event(self) -> DisclosureIntended:
        if len(self.positions) != len(self.event_ids):
            raise ValueError("positions name one store position per event id")
        return self


class DisclosureRecorded(_Addressed):
    """Records left the program for an outside recipient under a consent (or an emergency).

    Feeds the accounting of disclosures (45 CFR 164.528, 42 CFR 2.24); ``notice`` is the
    42 CFR 2.32 redisclosure notice that went with the data. The disclosure forwarder
    records it once the events of its ``DisclosureIntended`` (same ``disclosure_id``, same
    terms) were published.
    """

    summary_template: ClassVar[str] = "Disclosed to {recipient_name} for {purpose}"

    disclosure_id: UUID
    recipient: Recipient
    purpose: str = Field(min_length=1, max_length=500)
    data_kinds: tuple[Kind, ...] = Field(min_length=1)
    description: str = Field(min_length=1, max_length=1000)
    consent_id: UUID | None = None
    break_glass_id: UUID | None = None
    notice: str = Field(min_length=1)
    event_ids: tuple[UUID, ...] = ()
    """The events that went, when they were events of the store (the disclosure forwarder's):
    a recipient is sent each of them once. Empty for a disclosure described by hand, and in
    events recorded before it was kept."""


class DisclosureWithdrawn(_Addressed):
    """An intended disclosure the forwarder did not complete: the consent it relied on was
    no longer in force when the forwarder came to send it again after an interruption.

    Its events were not sent after that. A run stopped after publishing and before
    recording may have sent them already: the ``DisclosureIntended`` with this
    ``disclosure_id``, naming the consent, stays the record of that attempt.
    """

    summary_template: ClassVar[str] = "Disclosure to {recipient_name} withdrawn: {reason}"

    disclosure_id: UUID
    recipient: Recipient
    consent_id: UUID
    reason: str = Field(min_length=1, max_length=500)


DISCLOSURE_EVENTS = (DisclosureIntended, DisclosureRecorded, DisclosureWithdrawn)
"""The record of disclosures: never disclosed themselves."""


class ReadOutcome(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


class ClientRecordRead(CareEvent):
    """One read of a client's record: one query resolution or one subscription delivery.

    Envelope: ``actor`` is the reader, ``occurred_at`` the time of the read. Auditors only.
    """

    context: ClassVar[str] = "audit"
    type_kind: ClassVar[Kind] = Kind.CONSENT
    published: ClassVar[bool] = False
    summary_template: ClassVar[str] = "{operation} by {basis}"

    operation: str = Field(min_length=1, max_length=200)
    outcome: ReadOutcome
    basis: Basis
    kinds_granted: tuple[Kind, ...] = ()
    kinds_returned: tuple[Kind, ...] = ()
    entries_returned: int = Field(ge=0)
    consent_ids: tuple[UUID, ...] = ()
    break_glass_id: UUID | None = None
    policy_version: str
    refusal: str = ""
