"""Facts about a client's medications: orders, what the client takes from elsewhere,
interaction findings, and what was given or handed over at the window.

FHIR mapping: orders are MedicationRequest (a dose change or taper is a new order whose
``prior_order_id`` is FHIR ``priorPrescription``), statements are MedicationStatement,
findings are DetectedIssue, observed doses are MedicationAdministration and take-homes
are MedicationDispense. Dispensing events carry every field of the DEA dispensing log
(21 CFR 1304.24), so that log is a projection.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from carecoord.events import amounts
from carecoord.events.envelope import CareEvent, EnteredInError, Kind, Value


class _Medication(CareEvent):
    """A fact of the medication context; those about the window are ``_Dosing``."""

    context: ClassVar[str] = "medication"
    type_kind: ClassVar[Kind] = Kind.MEDICATION


class _Dosing(_Medication):
    type_kind: ClassVar[Kind] = Kind.DOSING


class _AboutOrder(_Medication):
    """A fact about one order, naming its medication for whoever reads it."""

    order_id: UUID
    medication: str


class _OrderChange(_AboutOrder):
    """An order held or stopped, and why."""

    free_text: ClassVar[tuple[str, ...]] = ("reason",)
    reason: str = Field(min_length=1, max_length=500)


class _AboutDose(_Dosing, _AboutOrder):
    """A fact about a dose of one order at the window."""


class Schedule(Value):
    """How often a dose is due: ``times_per_day`` doses every ``every_days`` days.

    A split dose is ``times_per_day=2``; interval dosing (XR-naltrexone) is ``every_days=28``.
    """

    times_per_day: int = Field(default=1, ge=1, le=6)
    every_days: int = Field(default=1, ge=1, le=90)


class TaperStep(Value):
    """From ``start`` on, the daily dose is ``dose`` (FHIR Dosage with a boundsPeriod)."""

    start: date
    dose: amounts.Amount = Field(gt=0)


class Dispensing(StrEnum):
    """Where the doses of an order come from: the program's window, or a pharmacy."""

    CLINIC = "clinic"
    PHARMACY = "pharmacy"


class _Order(_AboutOrder):
    """The facts every new order carries (FHIR MedicationRequest, intent=order)."""

    dose: amounts.Amount = Field(gt=0)
    unit: str
    route: str
    schedule: Schedule
    start: date
    end: date | None = None
    indication: str = ""
    dispensing: Dispensing = Dispensing.CLINIC


class MedicationPrescribed(_Order):
    """A prescriber ordered a medication."""

    summary_template: ClassVar[str] = "Prescribed {medication} {dose} {unit} {route}"


class DoseChanged(_Order):
    """A new order replaces ``prior_order_id`` from ``start`` on, at a new dose."""

    summary_template: ClassVar[str] = (
        "Dose changed: {medication} {prior_dose} {unit} → {dose} {unit} from {start}"
    )

    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    prior_order_id: UUID
    prior_dose: amounts.Amount
    reason: str = ""


class TaperOrdered(_Order):
    """A stepwise schedule replaces ``prior_order_id``; ``blind`` hides doses from the client."""

    summary_template: ClassVar[str] = (
        "Taper ordered: {medication} {dose} {unit} in {step_count} steps to {final_dose} {unit}"
    )

    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    prior_order_id: UUID
    steps: tuple[TaperStep, ...] = Field(min_length=1)
    blind: bool = False
    reason: str = ""

    @property
    def step_count(self) -> int:
        return len(self.steps)

    def summary(self) -> str:
        final_dose = amounts.shown(self.steps[-1].dose)
        facts = self.summary_facts() | {"step_count": self.step_count, "final_dose": final_dose}
        return self.summary_template.format(**facts)


class OrderHeld(_OrderChange):
    """Doses against an order stop until a prescriber resumes it (FHIR status on-hold).

    A hold placed by a rule (consecutive missed doses) names the rule and its version.
    """

    summary_template: ClassVar[str] = "Order on hold: {medication} ({reason})"
    summary_text: ClassVar[str] = "reason"

    rule_id: str = ""
    rule_version: str = ""
    day: date | None = None
    """The program's dosing day the hold began (None in events recorded before it was kept)."""


class OrderResumed(_AboutOrder):
    summary_template: ClassVar[str] = "Order resumed: {medication}"

    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    reason: str = Field(default="", max_length=500)
    day: date | None = None
    """The program's dosing day the hold was lifted."""


class OrderDiscontinued(_OrderChange):
    summary_template: ClassVar[str] = "Discontinued: {medication} ({reason})"
    summary_text: ClassVar[str] = "reason"


class OrderEnteredInError(_OrderChange):
    """The order should never have existed; it leaves the picture, its history stays."""

    summary_template: ClassVar[str] = "Order entered in error: {medication}"


class OrderReinstated(_AboutOrder):
    """The order a dose change or taper replaced is in force again from ``start``, because
    that replacement (``in_error_order_id``) was marked entered in error: the client is not
    left without an order. ``end`` is the order's own end again (the replacement had cut it
    short). The days between the replacement's start and ``start`` stay the replacement's:
    what was given under it stays recorded as given, and they are not this order's to dose
    or to miss."""

    summary_template: ClassVar[str] = (
        "Order back in force: {medication} from {start} (order {in_error_order_id} entered in"
        " error)"
    )

    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    in_error_order_id: UUID
    start: date
    end: date | None = None
    reason: str = Field(min_length=1, max_length=500)
    blind: bool = False
    """A blind taper back in force: its doses are hidden from the client again until it is
    replaced, stopped or past its end (``projections/restrictions.py``)."""


class StatementSource(StrEnum):
    """Who told us (FHIR MedicationStatement.informationSource)."""

    CLIENT = "client"
    OTHER_PRESCRIBER = "other_prescriber"
    OVER_THE_COUNTER = "over_the_counter"
    SUPPLEMENT = "supplement"
    PDMP = "pdmp"


class _AboutStatement(_Medication):
    """A fact about a medication the client takes from elsewhere."""

    statement_id: UUID
    medication: str


class MedicationStatementRecorded(_AboutStatement):
    """The client takes a medication the program does not prescribe."""

    summary_template: ClassVar[str] = "Also taking: {medication} (source: {source})"

    dose: amounts.Amount | None = Field(default=None, gt=0)
    unit: str = ""
    source: StatementSource
    source_detail: str = Field(default="", max_length=500)
    since: date | None = None


class MedicationStatementEnded(_AboutStatement):
    summary_template: ClassVar[str] = "No longer taking: {medication}"

    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    reason: str = Field(default="", max_length=500)


class MedicationStatementEnteredInError(EnteredInError, _AboutStatement):
    """The statement should never have been recorded (the wrong client, a medication they
    never took): it leaves the picture, its history stays."""

    summary_template: ClassVar[str] = "Statement entered in error: {medication}"


class Severity(StrEnum):
    """FHIR DetectedIssue severity: high = may be life-threatening or cause permanent injury."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"


class Implicated(Value):
    """An order or statement a finding is about (FHIR DetectedIssue.implicated)."""

    id: UUID
    medication: str
    is_statement: bool = False


class QtcEvidence(Value):
    """The client's latest QTc when a QT rule was checked (a check-ins VitalSignsRecorded)."""

    vitals_id: UUID
    qtc_ms: int = Field(ge=250, le=800)
    measured_at: AwareDatetime


class ClearanceEvidence(Value):
    """The client's latest creatinine clearance when a renal rule was checked (a check-ins
    VitalSignsRecorded)."""

    vitals_id: UUID
    ml_min: int = Field(ge=1, le=250)
    measured_at: AwareDatetime


class ExposureEvidence(Value):
    """What the client was exposed to that a rule matched, and until when it counts.

    ``through`` is the last day the medication acts (the last dose given or taken home plus
    its dosing interval, a stop, an end date); None while it is still taken. A rule's
    washout for that medication runs ``washout_days`` past it, so the combination is clear
    from ``clear_from`` on (None while the exposure goes on).
    """

    id: UUID
    medication: str
    basis: str = Field(max_length=300)
    through: date | None = None
    washout_days: int = Field(default=0, ge=0, le=3650)
    clear_from: date | None = None

    def describe(self) -> str:
        if self.through is None:
            return f"{self.medication}: {self.basis}"
        washout = f", washout {self.washout_days} days" if self.washout_days else ""
        return f"{self.medication}: {self.basis}{washout}; clear from {self.clear_from}"


class InteractionFound(_Medication):
    """An interaction or contraindication rule matched the client's medication picture.

    A rule whose severity depends on the QTc (methadone + QT-prolonging drug) records the
    QTc it was decided on in ``qtc``; None there means no QTc was on record. ``exposure``
    is the other medication as the rule saw it: taken now, or a recent exposure still
    inside the rule's washout (a stopped order, a dose given, take-homes in hand).
    """

    summary_template: ClassVar[str] = "Interaction alert ({severity}): {title}"
    free_text: ClassVar[tuple[str, ...]] = ("acknowledged_reason",)
    """The prescriber's reason for going past it, their override's (``OverrideAcknowledged``)."""

    finding_id: UUID
    rule_id: str
    rule_version: str
    severity: Severity
    title: str
    source: str
    implicated: tuple[Implicated, ...] = Field(min_length=1)
    """The two medications that met; one for a rule on a medication and the QTc alone
    (methadone with a long QTc)."""
    acknowledged_reason: str = ""
    qtc: QtcEvidence | None = None
    exposure: ExposureEvidence | None = None
    clearance: ClearanceEvidence | None = None
    """The creatinine clearance a renal rule (acamprosate) was judged on."""


class Attempt(Value):
    """What a prescribing step asked for, as a safety event records it."""

    action: str = Field(max_length=40)
    """``prescribe``, ``change_dose``, ``taper``, ``record_statement``, ``reinstate`` (an
    order back in force, its replacement entered in error), or ``resume`` (a held order
    resumed with the initial-dose cap acknowledged for a restart)."""
    medication: str
    dose: amounts.Amount | None = None
    unit: str = ""
    route: str = ""
    start: date | None = None
    prior_order_id: UUID | None = None


class HardStopRefused(_Medication):
    """A prescribing step was refused by a hard-stop rule: nothing was ordered, and the
    attempt stays on the record for a safety review (who, which rule and version, what)."""

    summary_template: ClassVar[str] = "Hard stop: {medication} refused ({rule_id} v{rule_version})"

    refusal_id: UUID
    rule_id: str
    rule_version: str
    severity: Severity
    field: str = Field(max_length=100)
    message: str = Field(max_length=4000)
    source: str
    attempted: Attempt
    implicated: tuple[Implicated, ...] = ()
    exposure: ExposureEvidence | None = None

    def summary(self) -> str:
        return self.summary_template.format(**self.facts(), medication=self.attempted.medication)


class OverrideAcknowledged(_Medication):
    """A prescriber went past a high-severity rule with a reason (an interaction, or a dose
    above the usual maximum): the order was written and the override is on the record."""

    summary_template: ClassVar[str] = (
        "Override: {rule_id} v{rule_version} acknowledged for {medication} ({reason})"
    )
    free_text: ClassVar[tuple[str, ...]] = ("reason",)
    summary_text: ClassVar[str] = "reason"

    override_id: UUID
    rule_id: str
    rule_version: str
    severity: Severity
    reason: str = Field(min_length=1, max_length=500)
    attempted: Attempt
    order_id: UUID
    finding_id: UUID | None = None
    exposure: ExposureEvidence | None = None

    def summary(self) -> str:
        return self.summary_template.format(**self.facts(), medication=self.attempted.medication)


class TakeHomeCriterion(Value):
    """One criterion of 42 CFR 8.12(i) as the medical director assessed it."""

    criterion: str
    met: bool


class TakeHomeEligibilityDetermined(_Medication):
    """How many days of take-home doses the client may hold, and on what basis."""

    summary_template: ClassVar[str] = "Take-home eligibility: up to {max_days} days"
    free_text: ClassVar[tuple[str, ...]] = ("basis",)

    max_days: int = Field(ge=0, le=28)
    criteria: tuple[TakeHomeCriterion, ...]
    basis: str = Field(default="", max_length=1000)


class GuestDosingArranged(_Dosing):
    """The client doses at another program for a period; no dose is given here meanwhile."""

    summary_template: ClassVar[str] = "Guest dosing at {site} from {start} to {end}"

    guest_dosing_id: UUID
    site: str = Field(min_length=1, max_length=200)
    start: date
    end: date


class GuestDosingEnded(_Dosing):
    """The client is back before the planned end; dosing here resumes from ``ended_on``."""

    summary_template: ClassVar[str] = "Guest dosing at {site} ended on {ended_on}"

    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    guest_dosing_id: UUID
    site: str
    ended_on: date
    reason: str = Field(default="", max_length=500)


class _Dispensed(_AboutDose):
    """What a dispensing event says for the DEA log: substance, strength, form, dispenser."""

    unit: str
    dosage_form: str
    strength: str = ""
    dea_schedule: str = ""
    site: str = Field(default="", max_length=200)
    """The site whose stock it came from: the client's program (``events/stock.py``); empty
    in events recorded before it was kept."""


class _ObservedDose(_Dispensed):
    """What an observed dose was: its id, amount, slot, day and lot, and the dose it replaced."""

    dose_id: UUID
    amount: amounts.Amount = Field(gt=0)
    slot: int = Field(ge=1)
    day: date
    lot: str = ""
    bottle: str = ""
    replaces_dose_id: UUID | None = None


class DoseAdministered(_ObservedDose):
    """An observed dose was given at the window (or replaces one that was lost)."""

    summary_template: ClassVar[str] = "Dose given: {medication} {amount} {unit}"
    free_text: ClassVar[tuple[str, ...]] = ("replacement_reason",)
    summary_text: ClassVar[str] = "replacement_reason"

    replacement_reason: str = ""

    def summary(self) -> str:
        if self.replaces_dose_id is None:
            return super().summary()
        return (
            f"Replacement dose given: {self.medication} {amounts.shown(self.amount)} {self.unit}"
            f" ({self.replacement_reason})"
        )


class _EnteredInError(EnteredInError, _Dispensed):
    """What marking a dispensing entered in error says beside the dispensing it repeats: why
    (``EnteredInError``), and the program's day it was marked (the day its correction rows
    are dated).

    Listed after the dispensing's own base in a subclass's bases, so its fields come last."""

    corrected_on: date


class DoseEnteredInError(_EnteredInError, _ObservedDose):
    """A dose charted in error (on the wrong client, or never given): it leaves the picture
    and its slot is free again; the dose's own record stays.

    It repeats the dose's DEA log fields, lot and amount, so the dispensing log and the stock
    ledger each get a correction row that returns it, and nothing is edited in place.
    ``day`` and ``slot`` are the dose's; ``corrected_on`` is the program's day it was marked.
    """

    summary_template: ClassVar[str] = (
        "Dose entered in error: {medication} {amount} {unit} on {day} ({reason})"
    )
    summary_text: ClassVar[str] = "reason"

    # ``replaces_dose_id`` is set when the dose marked was a replacement: the dose it
    # replaced counts as lost again.


class NotGivenReason(StrEnum):
    """Why a due dose was not given (FHIR MedicationAdministration.statusReason)."""

    DECLINED = "declined"
    INTOXICATED = "intoxicated"
    CLINICAL_HOLD = "clinical_hold"
    OTHER = "other"


class DoseNotGiven(_AboutDose):
    """The client came to the window but no dose was given (status not-done)."""

    summary_template: ClassVar[str] = "Dose not given: {medication} ({reason})"

    free_text: ClassVar[tuple[str, ...]] = ("note",)

    day: date
    slot: int = Field(ge=1)
    reason: NotGivenReason
    note: str = Field(default="", max_length=500)


class DoseNotGivenEnteredInError(EnteredInError, _AboutDose):
    """A dose not given charted in error (on the wrong client, for the wrong day): the day
    is no longer accounted for by it, and the entry's own record stays. ``entry_id`` is the
    ``DoseNotGiven`` event's own id (entries have no other); ``day`` and ``slot`` are its."""

    summary_template: ClassVar[str] = "Dose not given entered in error: {medication} on {day}"

    entry_id: UUID
    day: date
    slot: int = Field(ge=1)


class TakeHomeBottle(Value):
    """One take-home bottle: the dose it holds and where it came from."""

    day: date
    slot: int = Field(ge=1)
    amount: amounts.Amount = Field(gt=0)
    bottle: str = Field(min_length=1, max_length=100)
    lot: str = Field(min_length=1, max_length=100)


class _TakeHome(_Dispensed):
    """What a take-home hand-over was: its id, its bottles and the days they cover."""

    dispense_id: UUID
    bottles: tuple[TakeHomeBottle, ...] = Field(min_length=1)
    days_covered: int = Field(ge=1)

    @property
    def dose_count(self) -> int:
        return len(self.bottles)

    @property
    def total_amount(self) -> Decimal:
        return sum((bottle.amount for bottle in self.bottles), Decimal(0))

    def summary(self) -> str:
        extra = {"dose_count": self.dose_count, "total_amount": amounts.shown(self.total_amount)}
        return self.summary_template.format(**self.summary_facts(), **extra)


class TakeHomeDispensed(_TakeHome):
    """Take-home doses handed over, one bottle per dose, within the cap and eligibility."""

    summary_template: ClassVar[str] = (
        "Take-home handed over: {medication} {total_amount} {unit} in {dose_count} bottles"
        " for {days_covered} days"
    )

    day_in_treatment: int = Field(ge=1)
    cap_days: int = Field(ge=0)
    cap_rule: str
    cap_rule_version: str
    day: date | None = None
    """The program's day the bottles were handed over (None in events recorded before it
    was kept)."""


class TakeHomeEnteredInError(_EnteredInError, _TakeHome):
    """A take-home charted in error (for the wrong client, or never handed over): the days
    its bottles covered are free again and the record stops counting them; the hand-over's
    own record stays.

    It repeats the hand-over's DEA log fields and every bottle, so the dispensing log, the lot
    ledger and the stock view each get a correction row that reverses it, and nothing is
    edited in place. ``handed_over_on`` is the program's day of the hand-over it corrects;
    ``corrected_on`` the day it was marked.
    """

    summary_template: ClassVar[str] = (
        "Take-home entered in error: {medication} {total_amount} {unit} in {dose_count}"
        " bottles handed over on {handed_over_on} ({reason})"
    )
    summary_text: ClassVar[str] = "reason"

    handed_over_on: date


class ReturnedBottle(Value):
    """One take-home bottle brought back: which hand-over and (day, slot) it was for, its
    label and lot as handed over, and what was left in it (counted before the witness)."""

    dispense_id: UUID
    day: date
    slot: int = Field(ge=1)
    bottle: str = Field(min_length=1, max_length=100)
    lot: str = Field(min_length=1, max_length=100)
    amount: amounts.Amount = Field(ge=0)
    """What was in it when it came back (0: an empty bottle); at most what it held."""
    full: bool
    """Nothing was taken from it: its day's dose was not taken, and the day is free."""


class TakeHomeReturned(_Dispensed):
    """Take-home bottles the client brought back, counted in front of a second staff member
    (``witness_id``) and destroyed with their doses: never back in stock or dispensed again.
    The hand-overs' own records stay. The stock ledger is not touched: each dose left its lot
    when it was drawn for the hand-over (``StockDrawn``), so wasting it again would count it
    out twice; what was destroyed is this event's."""

    summary_template: ClassVar[str] = (
        "Take-home returned: {medication} {total_amount} {unit} in {bottle_count} bottles,"
        " destroyed before {witness_id}"
    )

    return_id: UUID
    bottles: tuple[ReturnedBottle, ...] = Field(min_length=1)
    witness_id: str = Field(min_length=1, max_length=200)
    day: date
    """The program's day the bottles came back."""

    @property
    def total_amount(self) -> Decimal:
        return sum((bottle.amount for bottle in self.bottles), Decimal(0))

    def summary(self) -> str:
        extra = {
            "bottle_count": len(self.bottles),
            "total_amount": amounts.shown(self.total_amount),
        }
        return self.summary_template.format(**self.summary_facts(), **extra)


class TakeHomeReturnWitnessed(_AboutDose):
    """The witness a take-home return named confirms, under their own credentials, that they
    watched its bottles counted and destroyed (two people, each signing as themselves, as
    a stock waste's witness does: ``StockEntryWitnessed``). It repeats the return's bottles,
    so each view marks the rows of the return it confirms."""

    summary_template: ClassVar[str] = "Witnessed take-home return {return_id}"

    return_id: UUID
    unit: str
    bottles: tuple[ReturnedBottle, ...] = Field(min_length=1)


class DoseMissed(_AboutDose):
    """A scheduled dosing day passed with no dose given or held at home (found by a rule)."""

    summary_template: ClassVar[str] = "Dose missed: {medication} on {day}"

    day: date
    consecutive_days: int = Field(ge=1)
    rule_id: str
    rule_version: str


ORDER_EVENTS = (MedicationPrescribed, DoseChanged, TaperOrdered)
MEDICATION_EVENTS: tuple[type[CareEvent], ...] = (
    *ORDER_EVENTS,
    OrderHeld,
    OrderResumed,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderReinstated,
    MedicationStatementRecorded,
    MedicationStatementEnded,
    MedicationStatementEnteredInError,
    InteractionFound,
    HardStopRefused,
    OverrideAcknowledged,
    TakeHomeEligibilityDetermined,
    GuestDosingArranged,
    GuestDosingEnded,
    DoseAdministered,
    DoseEnteredInError,
    DoseNotGiven,
    DoseNotGivenEnteredInError,
    TakeHomeDispensed,
    TakeHomeEnteredInError,
    TakeHomeReturned,
    TakeHomeReturnWitnessed,
    DoseMissed,
)
