"""The versioned tables a program's medication decisions run on, in one bundle.

Commands take a ``MedicationRules``; the defaults are the federal and label-based tables
(see each module for sources). A program's own tables are built once, at start, by the
composition root from settings and the program file (``program.py``), never mutated.
The program's time zone is here too: a "dosing day" is the program's local day, so
per-day limits, dose slots and missed days do not turn over at UTC midnight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from carecoord.services.kernel.program_day import program_day
from carecoord.services.medication.dose_spacing import DoseSpacing
from carecoord.services.medication.doses import DoseTable
from carecoord.services.medication.formulary import FORMULARY, Formulary
from carecoord.services.medication.induction import BUPRENORPHINE_INDUCTION, InitialDoseCap
from carecoord.services.medication.interactions import RuleTable
from carecoord.services.medication.methadone_switch import MethadoneSwitch
from carecoord.services.medication.missed import MissedDoseRule
from carecoord.services.medication.renal import RENAL_LIMITS, RenalLimit
from carecoord.services.medication.take_homes import TakeHomePolicy
from carecoord.services.medication.titration import TitrationLimit
from carecoord.services.medication.xr_initiation import XrInitiation

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class MedicationRules:
    formulary: Formulary = FORMULARY
    interactions: RuleTable = field(default_factory=RuleTable)
    renal: tuple[RenalLimit, ...] = RENAL_LIMITS
    """Medications judged on the latest creatinine clearance (acamprosate)."""
    take_homes: TakeHomePolicy = field(default_factory=TakeHomePolicy)
    missed: MissedDoseRule = field(default_factory=MissedDoseRule)
    doses: DoseTable = field(default_factory=DoseTable)
    initial_dose: InitialDoseCap = field(default_factory=InitialDoseCap)
    """Methadone's first dosing day (its restarts and titration read it too)."""
    buprenorphine_induction: InitialDoseCap = BUPRENORPHINE_INDUCTION
    titration: TitrationLimit = field(default_factory=TitrationLimit)
    xr_initiation: XrInitiation = field(default_factory=XrInitiation)
    """Extended-release buprenorphine only after buprenorphine the client has taken."""
    methadone_switch: MethadoneSwitch = field(default_factory=MethadoneSwitch)
    """A first buprenorphine dose only a day after the last methadone."""
    spacing: DoseSpacing = field(default_factory=DoseSpacing)
    """Doses at the window hours apart across midnight."""
    zone: ZoneInfo = UTC_ZONE
    interactions_by_program: Mapping[str, RuleTable] = field(default_factory=dict)
    """The interaction table of a program that has its own QTc bands."""
    sites: frozenset[str] = frozenset()
    """The sites the program file registers: stock may be transferred to one of them before
    it keeps any here (``stock/movements.py``)."""

    @property
    def inductions(self) -> tuple[InitialDoseCap, ...]:
        """Every medication's induction caps, which an order and the window are held to."""
        return self.initial_dose, self.buprenorphine_induction

    def day_of(self, moment: datetime) -> date:
        """The program's dosing day that ``moment`` falls on."""
        return program_day(moment, self.zone)

    def for_program(self, program: str) -> MedicationRules:
        """The tables a client of ``program`` is judged on."""
        own = self.interactions_by_program.get(program)
        return self if own is None else replace(self, interactions=own)


DEFAULT_RULES = MedicationRules()
