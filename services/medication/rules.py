"""The versioned tables a program's medication decisions run on, in one bundle.

Commands take a ``MedicationRules``; the defaults are the federal and label-based tables
(see each module for sources). A program's own additions are built from settings once,
at start, never mutated afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from carecoord.services.medication.formulary import FORMULARY, Formulary
from carecoord.services.medication.interactions import RuleTable
from carecoord.services.medication.missed import MissedDoseRule
from carecoord.services.medication.take_homes import TakeHomePolicy
from carecoord.services.settings import Settings


@dataclass(frozen=True, slots=True)
class MedicationRules:
    formulary: Formulary = FORMULARY
    interactions: RuleTable = field(default_factory=RuleTable)
    take_homes: TakeHomePolicy = field(default_factory=TakeHomePolicy)
    missed: MissedDoseRule = field(default_factory=MissedDoseRule)


DEFAULT_RULES = MedicationRules()


def rules_from(settings: Settings) -> MedicationRules:
    """The defaults with the program's configured missed-dose threshold."""
    if settings.missed_dose_hold_after == DEFAULT_RULES.missed.hold_after:
        return DEFAULT_RULES
    return MedicationRules(missed=MissedDoseRule(hold_after=settings.missed_dose_hold_after))
