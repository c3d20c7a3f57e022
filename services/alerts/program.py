"""The ``[alerts]`` section of a program file: a program's own thresholds on the default rules.

domain.md 2.1 leaves several numbers to the program (the CIWA-Ar threshold, what counts as a
craving rise, how many no-shows are "repeated"). A program changes them per rule row
(``docs/program.example.toml``), or turns a row off (``disabled = true``): its alerts are then
the care team's to notice, which is the medical director's call, so it is signed off too.

A changed row keeps its id; its version becomes ``<default version>+program:<digest>``, the
digest of the change, so every alert it raises says which numbers decided it, and replaying
history with the same file gives the same alerts.

The rows count the program's days, in its time zone (``program_time_zone``, a setting rather
than a key of this section, as it is the medication tables' dosing day too): the composition
root builds the table with ``table_for(settings)``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from carecoord.events.medication import Severity
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRule, AlertRules, Test


class ProgramSettings(Protocol):
    """The settings the alert table takes (the process's ``Settings``)."""

    @property
    def program_time_zone(self) -> ZoneInfo: ...


# What a program may change on a row, by the logic the row runs (see ``Test``).
TUNABLE: dict[Test, frozenset[str]] = {
    Test.INSTRUMENT_SCORE: frozenset({"threshold", "below", "maintenance_days", "severity"}),
    Test.SUBSTANCE_USE: frozenset({"severity"}),
    Test.CRAVING_RISE: frozenset({"threshold", "window", "baseline", "baseline_min", "severity"}),
    Test.MOOD_DROP: frozenset({"threshold", "window", "baseline", "baseline_min", "severity"}),
    Test.QTC_ON_MEDICATION: frozenset({"threshold", "below", "severity"}),
    Test.CLEARANCE_ON_MEDICATION: frozenset({"threshold", "above", "severity"}),
    Test.SCREEN_POSITIVE: frozenset({"severity"}),
    Test.SCREEN_POSITIVE_ON_AGONIST: frozenset({"severity"}),
    Test.SCREEN_PRESCRIBED_ON_AGONIST: frozenset({"severity"}),
    Test.SCREEN_POSITIVE_ON_MEDICATION: frozenset({"severity"}),
    Test.SCREEN_NEGATIVE_FOR_AGONIST: frozenset({"severity"}),
    Test.CONSECUTIVE_NO_SHOWS: frozenset({"threshold", "severity"}),
    Test.SEDATION_ON_AGONIST: frozenset({"severity"}),
    Test.TAKE_HOME_RECALL: frozenset({"severity"}),
    Test.UNWITNESSED_RETURN: frozenset({"threshold", "severity"}),
}


class RuleChange(BaseModel):
    """New numbers for one rule row; what is left out keeps the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: int | None = Field(default=None, ge=0, le=10_000)
    below: int | None = Field(default=None, ge=1, le=10_000)
    above: int | None = Field(default=None, ge=0, le=10_000)
    """A clearance row's lower bound (exclusive)."""
    maintenance_days: int | None = Field(default=None, ge=0, le=365)
    window: int | None = Field(default=None, ge=1, le=30)
    """Craving rise, mood drop: how many latest readings must all be that far from the
    baseline."""
    baseline: int | None = Field(default=None, ge=1, le=100)
    baseline_min: int | None = Field(default=None, ge=1, le=100)
    severity: Severity | None = None
    disabled: bool = False
    """The program does not run the rule; nothing else may be changed with it."""

    def given(self) -> dict[str, Any]:
        """The numbers changed (``disabled`` is not one: it takes the row out instead)."""
        return self.model_dump(exclude_none=True, exclude={"disabled"})

    def applied_to(self, rule: AlertRule, source: str) -> AlertRule:
        canonical = json.dumps(
            self.model_dump(mode="json", exclude_none=True, exclude={"disabled"}), sort_keys=True
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:10]
        return replace(
            rule,
            **self.given(),
            version=f"{rule.version}+program:{digest}",
            source=f"{rule.source}; program: {source}",
        )


class AlertSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(default="", max_length=500, description="Who signed the changes off.")
    rules: dict[str, RuleChange] = Field(default_factory=dict)
    _table: AlertRules = PrivateAttr(default=DEFAULT_ALERT_RULES)

    @model_validator(mode="after")
    def _applies(self) -> AlertSection:
        if self.rules and not self.source.strip():
            raise ValueError("source: say who signed off the changed thresholds")
        changed: list[AlertRule] = []
        disabled: list[str] = []
        for rule_id, change in self.rules.items():
            rule = DEFAULT_ALERT_RULES.rule(rule_id)
            if rule is None:
                known = ", ".join(r.id for r in DEFAULT_ALERT_RULES.rules)
                raise ValueError(f"rules.{rule_id}: no such rule; rules: {known}")
            if change.disabled:
                if change.given():
                    given = ", ".join(sorted(change.given()))
                    raise ValueError(f"rules.{rule_id}: a disabled rule takes no {given}")
                disabled.append(rule_id)
                continue
            extra = change.given().keys() - TUNABLE[rule.test]
            if extra:
                raise ValueError(
                    f"rules.{rule_id}: {', '.join(sorted(extra))} cannot be set on this rule;"
                    f" it takes {', '.join(sorted(TUNABLE[rule.test]))}"
                )
            changed.append(change.applied_to(rule, self.source.strip()))
        table = DEFAULT_ALERT_RULES.with_rules(*changed).without(*disabled)
        problems = table.problems() + [
            f"{r.id}: baseline_min {r.baseline_min} is more than baseline {r.baseline}"
            for r in changed
            if r.baseline_min > r.baseline
        ]
        if problems:
            raise ValueError("; ".join(problems))
        self._table = table
        return self

    @property
    def table(self) -> AlertRules:
        """The rows the program evaluates: the defaults with its rows changed (on UTC days;
        ``table_for`` gives them the program's)."""
        return self._table

    def table_for(self, settings: ProgramSettings) -> AlertRules:
        """The rule table the program evaluates, counting days in its time zone."""
        return self._table.in_zone(settings.program_time_zone)

    def departures(self) -> tuple[list[str], list[str]]:
        """The rows changed (``<id>@<version>``) and the ids of the rows turned off."""
        defaults = {rule.id: rule.version for rule in DEFAULT_ALERT_RULES.rules}
        changed = [f"{r.id}@{r.version}" for r in self._table.rules if defaults[r.id] != r.version]
        kept = {rule.id for rule in self._table.rules}
        return sorted(changed), sorted(set(defaults) - kept)
