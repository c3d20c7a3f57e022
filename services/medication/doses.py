"""Dose plausibility: how precise a dose may be, each medication's usual maximum per dosing
day, and the limit past which an amount can only be a data-entry error.

Above the usual maximum an order needs the prescriber's acknowledgement of rule
``dose-above-usual-maximum`` with a reason, recorded as an override; above the limit it
is refused. Both are per dosing day (the order's ``dose``: an XR injection's dose is its
monthly one) in the formulary's unit. A program changes the bounds, with their source,
in its program file; the table's version goes into every override it causes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from carecoord.events.amounts import AMOUNT_PLACES
from carecoord.events.bounds import said
from carecoord.events.medication import Severity
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.medication.formulary import Medication

ABOVE_USUAL = "dose-above-usual-maximum"
LIMIT = "dose-limit"
PRECISION = "dose-precision"
SPLIT = "split-dose-precision"
PLACES = AMOUNT_PLACES
"""Decimal places of a dose or an amount, as the events that carry one declare them."""

METHADONE_LABEL = (
    "https://globalrph.com/rx-list/methadose-oral-concentrate-drug (clinical stability"
    " most commonly at 80 to 120 mg/day)"
)
BUPRENORPHINE_LABEL = (
    "https://www.pdr.net/drug-summary/Suboxone-buprenorphine-naloxone-1292 (doses above"
    " 24 mg/day not shown to add benefit) [K]"
)
SUBLOCADE_LABEL = "buprenorphine extended-release label: 300 mg monthly for two months [K]"
VIVITROL_LABEL = "https://globalrph.com/rx-list/vivitrol-drug (380 mg every 4 weeks)"
DISULFIRAM_LABEL = "https://globalrph.com/rx-list/antabuse-drug (should not exceed 500 mg daily)"
GUARD = (
    "data-entry guard: several times any dose reported for the medication; a program's"
    " medical director may set another"
)
GENERIC_LIMIT = Decimal(10_000)
"""No formulary medication is given at 10 g per dosing day (the highest, acamprosate and
valproate, stay under 5 g): more is a slip of the keyboard."""


@dataclass(frozen=True, slots=True)
class DoseBound:
    """One medication's bounds per dosing day, in its formulary unit."""

    usual_max: Decimal | None
    limit: Decimal
    source: str


DEFAULT_BOUNDS: Mapping[str, DoseBound] = {
    "methadone": DoseBound(Decimal(120), Decimal(1000), f"{METHADONE_LABEL} ; {GUARD}"),
    "buprenorphine": DoseBound(Decimal(24), Decimal(100), f"{BUPRENORPHINE_LABEL} ; {GUARD}"),
    "buprenorphine-naloxone": DoseBound(
        Decimal(24), Decimal(100), f"{BUPRENORPHINE_LABEL} ; {GUARD}"
    ),
    "buprenorphine-xr": DoseBound(Decimal(300), Decimal(600), f"{SUBLOCADE_LABEL} ; {GUARD}"),
    "naltrexone-xr": DoseBound(Decimal(380), Decimal(760), f"{VIVITROL_LABEL} ; {GUARD}"),
    "disulfiram": DoseBound(Decimal(500), Decimal(1000), f"{DISULFIRAM_LABEL} ; {GUARD}"),
}


@dataclass(frozen=True, slots=True)
class Override:
    """A high-severity rule the prescriber went past, and why (a dose above the usual maximum,
    or an interaction): recorded as an ``OverrideAcknowledged``."""

    rule_id: str
    rule_version: str
    severity: Severity
    reason: str


@dataclass(frozen=True, slots=True)
class DoseTable:
    version: str = "1"
    bounds: Mapping[str, DoseBound] = field(default_factory=lambda: dict(DEFAULT_BOUNDS))

    def extended(self, version: str, extra: Iterable[tuple[str, DoseBound]]) -> DoseTable:
        return DoseTable(version, {**self.bounds, **dict(extra)})

    def bound(self, drug: Medication) -> DoseBound:
        return self.bounds.get(drug.code, DoseBound(None, GENERIC_LIMIT, GUARD))

    def limit(self, drug: Medication, field: str, dose: Decimal) -> None:
        """Refuse a dose no client could be given: imprecise, or above the limit."""
        check_amount(field, dose)
        bound = self.bound(drug)
        if dose > bound.limit:
            raise InvalidInput(
                field,
                LIMIT,
                f"{field} {dose} {drug.unit} is above the limit of {bound.limit} {drug.unit}"
                f" per dosing day for {drug.code} (dose table version {self.version};"
                f" source: {bound.source}); it cannot be right",
            )

    def usual(
        self,
        drug: Medication,
        field: str,
        dose: Decimal,
        acknowledgements: Mapping[str, str],
    ) -> Override | None:
        """Above the usual maximum, the prescriber's acknowledgement with a reason."""
        bound = self.bound(drug)
        if bound.usual_max is None or dose <= bound.usual_max:
            return None
        return acknowledged(
            acknowledgements,
            ABOVE_USUAL,
            self.version,
            f"{field} {dose} {drug.unit} is above the usual maximum of {bound.usual_max}"
            f" {drug.unit} per dosing day for {drug.code} (dose table version"
            f" {self.version}; source: {bound.source}). To proceed, acknowledge rule"
            f" {ABOVE_USUAL!r} with a reason",
        )


def acknowledged(
    acknowledgements: Mapping[str, str],
    rule_id: str,
    version: str,
    refusal: str,
    details: Mapping[str, object] | None = None,
) -> Override:
    """The prescriber's acknowledgement of ``rule_id`` with a reason, as the override it
    records; without a reason that shows, the step is refused with ``refusal``."""
    reason = said(acknowledgements.get(rule_id, ""))
    if not reason:
        raise RuleViolation("acknowledgements", rule_id, refusal, details)
    return Override(rule_id, version, Severity.HIGH, reason)


def check_amount(field: str, amount: Decimal) -> None:
    """Above 0 and at most ``PLACES`` decimal places, or refused naming the field, the amount
    quoted in digits as written (0.0000001, which ``str`` writes 1E-7)."""
    if not amount > 0:
        raise InvalidInput(field, "positive-dose", f"{field} must be above 0, got {amount:f}")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > PLACES:
        raise InvalidInput(
            field,
            PRECISION,
            f"{field} {amount:f} has more than {PLACES} decimal places; round it to {PLACES}",
        )


def check_split(field: str, dose: Decimal, times_per_day: int, unit: str) -> None:
    """A daily dose split into ``times_per_day`` doses, each of at most ``PLACES`` decimal
    places: each is given or bottled as the order's share (``Order.per_slot``)."""
    exponent = (dose / times_per_day).normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > PLACES:
        raise InvalidInput(
            field,
            SPLIT,
            f"{field} {dose} {unit} in {times_per_day} doses a day does not split into doses"
            f" of at most {PLACES} decimal places; choose a daily dose that does",
        )
