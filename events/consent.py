"""42 CFR Part 2 consents: who may receive which of a client's records, for what, until when.

The elements follow 42 CFR 2.31 (recipients, purpose, a description of the information as
data kinds, expiry, the right to revoke in writing, signature and date). SUD counseling
notes need a consent of their own (2024 final rule, 89 FR 12472), so a consent naming
them names nothing else. Revocation is prospective: it blocks later reads and
disclosures and rewrites nothing.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from carecoord.events import catalog
from carecoord.events.envelope import CareEvent, Kind, Value


class RecipientType(StrEnum):
    """A named person who signs in here, or an outside organization data is disclosed to."""

    MEMBER = "member"
    ORGANIZATION = "organization"


class ExpiryEvent(StrEnum):
    """An event a consent may expire on that the platform itself records, and so enforces:
    the consent ends when it is recorded (``ConsentExpired``). Any other event or condition
    is the free text ``expiry_event``, which the platform does not act on."""

    DISCHARGE = "discharge"


class Recipient(Value):
    type: RecipientType
    id: str = Field(
        min_length=1,
        max_length=200,
        description="A member's user id (the token subject) or an organization's identifier.",
    )
    name: str = Field(default="", max_length=200)


class _Consent(CareEvent):
    context: ClassVar[str] = "consent"
    type_kind: ClassVar[Kind] = Kind.CONSENT

    consent_id: UUID


class ConsentRecorded(_Consent):
    """The client signed a Part 2 consent (FHIR Consent, category 42-CFR-2).

    Version 2 adds ``expires_on``: a reader of version 1 would take a consent ending at the
    client's discharge, with no date or free-text event, for one granting until revoked."""

    version: ClassVar[int] = 2
    summary_template: ClassVar[str] = "Consent recorded for {purpose}"

    recipients: tuple[Recipient, ...] = Field(min_length=1)
    purpose: str = Field(min_length=1, max_length=500)
    data_kinds: tuple[Kind, ...] = Field(min_length=1)
    expires_at: AwareDatetime | None = Field(
        default=None, description="None: until revoked or the expiry event."
    )
    expiry_event: str = Field(
        default="",
        max_length=200,
        description='e.g. "end of treatment": free text, not acted on by the platform',
    )
    expires_on: ExpiryEvent | None = Field(
        default=None,
        description="An event the platform records that ends the consent (``ConsentExpired``),"
        " whichever comes first of it and ``expires_at``.",
    )
    signed_on: date
    signed_by: str = Field(min_length=1, max_length=200)


class ConsentRevoked(_Consent):
    """The client revoked a consent in writing; it stops every read and disclosure from now on."""

    summary_template: ClassVar[str] = "Consent revoked"
    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    reason: str = Field(default="", max_length=500)


@catalog.upcaster("consent.ConsentRecorded", from_version=1)
def _recorded_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 consent expires on no event the platform records."""
    return {**data, "expires_on": None}


class ConsentExpired(_Consent):
    """The event a consent expires on happened (``expires_on``: the client's discharge): it
    grants nothing from ``occurred_at`` on, and a readmission does not revive it."""

    summary_template: ClassVar[str] = "Consent expired on {expired_on}"

    expired_on: ExpiryEvent
