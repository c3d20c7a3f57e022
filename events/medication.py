"""Facts about a client's medications: orders and what was given at the window."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from carecoord.events.envelope import CareEvent, Kind


class Schedule(BaseModel):
    """How often a dose is due: ``times_per_day`` doses every ``every_days`` days."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    times_per_day: int = Field(default=1, ge=1, le=6)
    every_days: int = Field(default=1, ge=1, le=90)


class MedicationPrescribed(CareEvent):
    """A prescriber ordered a medication (FHIR MedicationRequest, intent=order)."""

    context: ClassVar[str] = "medication"
    kind: ClassVar[Kind] = Kind.MEDICATION
    summary_template: ClassVar[str] = "Prescribed {medication} {dose} {unit} {route}"

    order_id: UUID
    medication: str
    dose: Decimal = Field(gt=0)
    unit: str
    route: str
    schedule: Schedule
    start: date
    end: date | None = None
    indication: str = ""


class DoseAdministered(CareEvent):
    """An observed dose was given at the window; carries the 21 CFR 1304.24 fields."""

    context: ClassVar[str] = "medication"
    kind: ClassVar[Kind] = Kind.DOSING
    summary_template: ClassVar[str] = "Dose given: {medication} {amount} {unit}"

    dose_id: UUID
    order_id: UUID
    medication: str
    amount: Decimal = Field(gt=0)
    unit: str
    dosage_form: str
    slot: int = Field(ge=1)
    day: date
