"""The ``[medication]`` section of a program file: a program's own medication tables.

States and programs differ (domain.md section 6: take-home caps, formularies, local
interaction policy), so a program extends the defaults (``docs/program.example.toml``
shows every key).

A formulary entry with an existing code replaces it; so does a rule with an existing id,
which must then carry a new version, because every finding records the version that
fired. A rule's washouts (days an exposure still counts after it ends) carry their own
source. Caps may be stricter than the federal ones (42 CFR 8.12(i)), never looser. Dose
bounds (the usual maximum, past which an order needs an acknowledgement, and the limit,
past which it is refused) replace the default per medication, under the table's version.
QTc bands (the QT-aware rules' severity by the latest QTc) replace the default bands, for
every program or for one; a finding's rule version then names the bands. The initial-dose
cap of methadone (past which an order for a client in induction needs an acknowledgement)
may be lower than the federal 50 mg (42 CFR 8.12(h)), never higher; the days without methadone
after which a client is in induction again may be fewer than the guideline's 5, never more.
Sublingual buprenorphine's induction caps (8 mg on the first day, 16 mg on the second, the
SUBOXONE label's usual induction) may be set otherwise, with the source, up to the usual
maximum; above them an order needs an acknowledgement, never a hard stop.
The titration limit of methadone in a course's first days (``titration.py``) may be stricter
than SAMHSA TIP 63's (smaller steps, more days between them, a longer window), never looser.
Doses at the window are kept half the order's interval apart across midnight unless
``dose_spacing`` sets another share, from a quarter to three quarters (``dose_spacing.py``).
``sites`` registers the program's sites that receive stock by transfer alone (a medication
unit supplied by its OTP) before they keep any here.
Every problem names its key (``services/runtime/program.py`` stops the start with it).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Protocol, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from carecoord.events.medication import Dispensing, Severity
from carecoord.services.medication.dose_spacing import DoseSpacing
from carecoord.services.medication.doses import DEFAULT_BOUNDS, DoseBound, DoseTable
from carecoord.services.medication.formulary import FORMULARY, Medication
from carecoord.services.medication.induction import (
    BUPRENORPHINE_INDUCTION,
    FEDERAL_CAP,
    RESTART_AFTER,
    InitialDoseCap,
    Restart,
)
from carecoord.services.medication.interactions import (
    DEFAULT_RULES,
    QtcBand,
    QtcBands,
    Rule,
    RuleTable,
    Washout,
)
from carecoord.services.medication.missed import MissedDoseRule
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.medication.take_homes import FEDERAL_2024, CapSchedule, TakeHomePolicy
from carecoord.services.medication.titration import (
    MAX_STEP,
    MIN_INTERVAL_DAYS,
    WINDOW_DAYS,
    TitrationLimit,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=100)]
Site = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ProgramSettings(Protocol):
    """The settings the medication tables take (the process's ``Settings``)."""

    @property
    def missed_dose_hold_after(self) -> int: ...

    @property
    def missed_dose_charting_grace_days(self) -> int: ...

    @property
    def program_time_zone(self) -> ZoneInfo: ...


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FormularyEntry(_Entry):
    code: Code
    name: Text
    classes: list[Code] = Field(min_length=1)
    rxnorm: str | None = None
    atc: str | None = None
    unit: Text = "mg"
    routes: list[Text] = Field(default_factory=lambda: ["oral"], min_length=1)
    forms: dict[str, str] = Field(default_factory=lambda: {"tablet": ""}, min_length=1)
    dispensing: Dispensing = Dispensing.PHARMACY
    dea_schedule: str = ""
    acts_days: int = Field(default=1, ge=1, le=180)
    """Days one dose acts (a long-acting injectable's interval)."""
    early_days: int = Field(default=0, ge=0, le=30)
    """Days before its due day a long-acting dose may be given: ``acts_days`` less the
    label's shortest interval between doses (0: on its exact dosing day)."""

    @model_validator(mode="after")
    def _early_within_interval(self) -> Self:
        if self.early_days and self.early_days >= self.acts_days:
            raise ValueError(
                f"early_days {self.early_days} must be under acts_days {self.acts_days}"
            )
        return self

    def medication(self) -> Medication:
        return Medication(self.code, self.name, self.rxnorm, self.atc, self.unit,
                          tuple(self.routes), dict(self.forms), frozenset(self.classes),
                          self.dispensing, self.dea_schedule, self.acts_days,
                          self.early_days)  # fmt: skip


class WashoutEntry(_Entry):
    classes: list[Code] = Field(min_length=1)
    days: int = Field(ge=1, le=365)
    source: Text


class RuleEntry(_Entry):
    id: Code
    version: Text
    severity: Severity
    classes_a: list[Code] = Field(min_length=1)
    classes_b: list[Code] = Field(min_length=1)
    risk: Text
    source: Text
    hard_stop: bool = False
    washouts: list[WashoutEntry] = Field(default_factory=list)

    def rule(self) -> Rule:
        washouts = tuple(Washout(frozenset(w.classes), w.days, w.source) for w in self.washouts)
        return Rule(self.id, self.version, self.severity, frozenset(self.classes_a),
                    frozenset(self.classes_b), self.risk, self.source, self.hard_stop,
                    washouts=washouts)  # fmt: skip

    def classes(self) -> set[str]:
        return {*self.classes_a, *self.classes_b, *(c for w in self.washouts for c in w.classes)}


Amount = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=12, decimal_places=3)]


class DoseBoundEntry(_Entry):
    usual_max: Amount | None = None
    limit: Amount
    source: Text

    @model_validator(mode="after")
    def _usual_within_limit(self) -> Self:
        if self.usual_max is not None and self.usual_max > self.limit:
            raise ValueError(f"usual_max {self.usual_max} is above the limit {self.limit}")
        return self


class DoseBoundsEntry(_Entry):
    version: Text
    medications: dict[Code, DoseBoundEntry] = Field(min_length=1)

    def table(self) -> DoseTable:
        bounds = ((code, DoseBound(b.usual_max, b.limit, b.source))
                  for code, b in self.medications.items())  # fmt: skip
        return DoseTable().extended(self.version, bounds)


class InitialDoseEntry(_Entry):
    """The most methadone a client in induction is given on their first dosing day."""

    cap: Amount
    version: Text
    source: Text

    @model_validator(mode="after")
    def _within_federal(self) -> Self:
        if self.cap > FEDERAL_CAP:
            raise ValueError(
                f"initial_dose.cap {self.cap} mg is above the federal initial dose of"
                f" {FEDERAL_CAP} mg (42 CFR 8.12(h)); a program may be stricter, not looser"
            )
        return self

    def table(self) -> InitialDoseCap:
        return InitialDoseCap(self.cap, self.version, self.source)


class BuprenorphineInductionEntry(_Entry):
    """The most sublingual buprenorphine (or buprenorphine/naloxone) a client in induction is
    given on their first and second days here without the prescriber's acknowledgement."""

    day_1: Amount
    day_2: Amount
    version: Text
    source: Text

    @model_validator(mode="after")
    def _rising_within_the_usual_maximum(self) -> Self:
        usual = DEFAULT_BOUNDS["buprenorphine"].usual_max
        if usual is not None and max(self.day_1, self.day_2) > usual:
            raise ValueError(
                f"buprenorphine_induction: a cap above the usual maximum of {usual} mg/day"
                " holds nothing that dose-above-usual-maximum does not"
            )
        if self.day_2 < self.day_1:
            raise ValueError(
                f"buprenorphine_induction.day_2 {self.day_2} mg is below day_1 {self.day_1} mg;"
                " induction rises to the maintenance dose"
            )
        return self

    def table(self) -> InitialDoseCap:
        return replace(
            BUPRENORPHINE_INDUCTION,
            cap=self.day_1,
            later=(self.day_2,),
            version=self.version,
            source=self.source,
        )


class RestartEntry(_Entry):
    """Consecutive days with no methadone given or in hand after which the next dosing day is
    a first dosing day again, held to the initial-dose cap."""

    after_days: int = Field(ge=2)
    version: Text
    source: Text

    @model_validator(mode="after")
    def _within_guideline(self) -> Self:
        if self.after_days > RESTART_AFTER:
            raise ValueError(
                f"restart.after_days {self.after_days} is more than the {RESTART_AFTER} days"
                " after which the guideline treats a return as a new induction; a program may"
                " be stricter, not looser"
            )
        return self

    def table(self) -> Restart:
        return Restart(self.after_days, self.version, self.source)


class TitrationEntry(_Entry):
    """How much, and how soon, methadone is raised in a course's first days without an
    acknowledgement."""

    window_days: int = Field(default=WINDOW_DAYS, le=90)
    max_step: Amount = MAX_STEP
    min_interval_days: int = Field(default=MIN_INTERVAL_DAYS, le=30)
    version: Text
    source: Text

    @model_validator(mode="after")
    def _within_guideline(self) -> Self:
        window, step, interval = self.window_days, self.max_step, self.min_interval_days
        looser = [
            f"{key} {value} (the guideline's: {guideline})"
            for key, value, guideline, ok in (
                ("window_days", window, f"{WINDOW_DAYS} or more", window >= WINDOW_DAYS),
                ("max_step", step, f"{MAX_STEP} mg or less", step <= MAX_STEP),
                ("min_interval_days", interval, f"{MIN_INTERVAL_DAYS} or more",
                 interval >= MIN_INTERVAL_DAYS),
            )
            if not ok
        ]  # fmt: skip
        if looser:
            raise ValueError(
                f"titration: {'; '.join(looser)} is looser than SAMHSA TIP 63's; a program may"
                " be stricter, not looser"
            )
        return self

    def table(self) -> TitrationLimit:
        return TitrationLimit(self.window_days, self.max_step, self.min_interval_days,
                              self.version, self.source)  # fmt: skip


class DoseSpacingEntry(_Entry):
    """How far apart doses at the window are kept across midnight (``dose_spacing.py``), as
    a share of the order's interval between doses."""

    share: float = Field(ge=0.25, le=0.75, allow_inf_nan=False)
    """A quarter (6 hours for a dose a day) to three quarters (18 hours) of the interval."""
    version: Text
    source: Text

    @model_validator(mode="after")
    def _new_version(self) -> Self:
        default = DoseSpacing()
        if self.version == default.version:
            raise ValueError(
                f"dose_spacing.version {self.version!r} is the default rule's; give it a new"
                " version, since a refusal names the version that decided it"
            )
        return self

    def table(self) -> DoseSpacing:
        return DoseSpacing(self.share, self.version, self.source)


class CapEntry(_Entry):
    id: Code
    version: Text
    source: Text
    steps: list[tuple[int, int]] = Field(min_length=1)
    """(first day in treatment, most days of supply), ascending from day 1."""

    @model_validator(mode="after")
    def _within_federal(self) -> Self:
        days = [day for day, _ in self.steps]
        if days[0] != 1 or days != sorted(set(days)):
            raise ValueError(f"steps start at day 1, each first day once, ascending; got {days}")
        for day, most in self.steps:
            federal = FEDERAL_2024.cap(day)
            if not 0 <= most <= federal:
                raise ValueError(
                    f"steps: from day {day} the cap is {most} days; a program may be stricter"
                    f" than the federal cap ({federal} days on day {day}), not looser"
                )
        return self

    def schedule(self) -> CapSchedule:
        return CapSchedule(self.id, self.version, self.source, tuple(self.steps))


class QtcBandEntry(_Entry):
    from_ms: int = Field(ge=0, le=800)
    severity: Severity
    advice: Text
    """What to do in the band; ``{qtc}`` stands for the measured QTc."""

    @model_validator(mode="after")
    def _advice_formats(self) -> Self:
        try:
            self.advice.format(qtc=500)
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                f"advice {self.advice!r}: {{qtc}} is the only placeholder (the measured QTc)"
            ) from None
        return self


class QtcBandsEntry(_Entry):
    """QTc bands for the QT-aware rules (methadone with a QT-prolonging drug)."""

    id: Code
    version: Text
    source: Text
    bands: list[QtcBandEntry] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _ascending_from_zero(self) -> Self:
        starts = [band.from_ms for band in self.bands]
        if starts[0] != 0 or starts != sorted(set(starts)):
            raise ValueError(
                f"bands: from_ms starts at 0 and ascends, each value once; got {starts}"
            )
        return self

    def table(self) -> QtcBands:
        bands = tuple(QtcBand(b.from_ms, b.severity, b.advice) for b in self.bands)
        return QtcBands(self.id, self.version, self.source, bands)


class MedicationSection(_Entry):
    formulary: list[FormularyEntry] = Field(default_factory=list)
    interaction_rules: list[RuleEntry] = Field(default_factory=list)
    take_home_caps: CapEntry | None = None
    take_home_caps_by_program: dict[str, CapEntry] = Field(default_factory=dict)
    missed_dose_hold_after: int | None = Field(default=None, ge=1, le=14)
    dose_bounds: DoseBoundsEntry | None = None
    initial_dose: InitialDoseEntry | None = None
    buprenorphine_induction: BuprenorphineInductionEntry | None = None
    restart: RestartEntry | None = None
    titration: TitrationEntry | None = None
    dose_spacing: DoseSpacingEntry | None = None
    qtc_bands: QtcBandsEntry | None = None
    qtc_bands_by_program: dict[str, QtcBandsEntry] = Field(default_factory=dict)
    sites: list[Site] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _rules_fit_the_formulary(self) -> Self:
        medications = FORMULARY.extended(e.medication() for e in self.formulary).medications
        known = frozenset().union(*(m.classes for m in medications.values()))
        defaults = {rule.id: rule for rule in DEFAULT_RULES}
        bounded = set(self.dose_bounds.medications) if self.dose_bounds else set()
        if bounded - set(medications):
            raise ValueError(
                f"dose_bounds.medications: {sorted(bounded - set(medications))} are not in the"
                " formulary"
            )
        for n, entry in enumerate(self.interaction_rules):
            key = f"interaction_rules.{n} ({entry.id})"
            unknown = sorted(entry.classes() - known)
            if unknown:
                raise ValueError(
                    f"{key}: classes {unknown} match no formulary medication;"
                    f" known classes: {', '.join(sorted(known))}"
                )
            replaced = defaults.get(entry.id)
            if replaced is not None and replaced.version == entry.version:
                raise ValueError(
                    f"{key}: replaces the default rule of version {replaced.version!r};"
                    " give it a new version, since findings record the version that fired"
                )
        return self

    def rules(self, settings: ProgramSettings) -> MedicationRules:
        """The tables the program runs on: the defaults, the settings, then this section."""
        caps = self.take_home_caps
        interactions = RuleTable().extended(e.rule() for e in self.interaction_rules)
        by_program = {k: interactions.with_qtc_bands(v.table())
                      for k, v in self.qtc_bands_by_program.items()}  # fmt: skip
        if self.qtc_bands:
            interactions = interactions.with_qtc_bands(self.qtc_bands.table())
        initial_dose = self.initial_dose.table() if self.initial_dose else InitialDoseCap()
        if self.restart:
            initial_dose = replace(initial_dose, restart=self.restart.table())
        return MedicationRules(
            formulary=FORMULARY.extended(e.medication() for e in self.formulary),
            interactions=interactions,
            interactions_by_program=by_program,
            take_homes=TakeHomePolicy(
                default=caps.schedule() if caps else FEDERAL_2024,
                by_program={k: v.schedule() for k, v in self.take_home_caps_by_program.items()},
            ),
            missed=MissedDoseRule(
                hold_after=self.missed_dose_hold_after or settings.missed_dose_hold_after,
                charting_grace_days=settings.missed_dose_charting_grace_days,
            ),
            doses=self.dose_bounds.table() if self.dose_bounds else DoseTable(),
            initial_dose=initial_dose,
            buprenorphine_induction=(
                self.buprenorphine_induction.table()
                if self.buprenorphine_induction
                else BUPRENORPHINE_INDUCTION
            ),
            titration=self.titration.table() if self.titration else TitrationLimit(),
            spacing=self.dose_spacing.table() if self.dose_spacing else DoseSpacing(),
            zone=settings.program_time_zone,
            sites=frozenset(self.sites),
        )
