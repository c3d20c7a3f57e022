"""take-home-return-unwitnessed through the commands: a return its witness has not confirmed
within the row's hours raises it once, dated when the hours passed; the confirmation
resolves it; a program sets the hours or turns the row off; the replay takes it as
recorded, as no event raises it."""

from __future__ import annotations

from datetime import datetime, timedelta

from test_take_home_recall_commands import at
from test_take_home_returns import JAN2, WITNESS, Returns

from carecoord.events import Actor, Role
from carecoord.events.alerts import AlertRaised, AlertResolved
from carecoord.services.alerts.program import AlertSection, RuleChange
from carecoord.services.alerts.replay import replay
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.alerts.unwitnessed import UNWITNESSED
from carecoord.services.medication import commands

RETURNED = at(JAN2, 16)
SOURCE = "Medical director, 2026-02-01"


def returned() -> Returns:
    """The bottle for the 2nd brought back at 16:00 that day, before ``WITNESS``."""
    clinic = Returns()
    clinic.now = RETURNED
    clinic.back(JAN2)
    return clinic


def flag(clinic: Returns, now: datetime, rules: AlertRules = DEFAULT_ALERT_RULES) -> int:
    return int(clinic.run(commands.flag_unwitnessed_returns(
        client_id=clinic.client_id, now=now, alert_rules=rules
    )))  # fmt: skip


def alerts(clinic: Returns) -> list[AlertRaised]:
    return [e for e in clinic.of(AlertRaised) if e.rule_id == UNWITNESSED]


def test_a_return_unconfirmed_past_the_hours_raises_once_and_its_confirmation_resolves() -> None:
    clinic = returned()
    assert flag(clinic, RETURNED + timedelta(hours=23, minutes=59)) == 0
    assert flag(clinic, RETURNED + timedelta(hours=30)) == 1
    assert flag(clinic, RETURNED + timedelta(hours=31)) == 0

    [alert] = alerts(clinic)
    assert alert.occurred_at == RETURNED + timedelta(hours=24)
    assert alert.rule_version == "1"
    [back] = clinic.record().returns.values()
    assert alert.evidence == (back[0].event_id,)
    assert replay(DEFAULT_ALERT_RULES, clinic.log) == clinic.of(AlertRaised)

    clinic.now = RETURNED + timedelta(hours=32)
    clinic.run(commands.witness_take_home_return(
        clinic.stamp(Actor(id=WITNESS, role=Role.NURSE)), client_id=clinic.client_id,
        return_id=back[0].return_id,
    ))  # fmt: skip
    assert [e.alert_id for e in clinic.of(AlertResolved)] == [alert.alert_id]


def test_a_return_confirmed_in_time_raises_none() -> None:
    clinic = returned()
    [back] = clinic.record().returns.values()
    clinic.run(commands.witness_take_home_return(
        clinic.stamp(Actor(id=WITNESS, role=Role.NURSE)), client_id=clinic.client_id,
        return_id=back[0].return_id,
    ))  # fmt: skip
    assert flag(clinic, RETURNED + timedelta(days=3)) == 0
    assert clinic.of(AlertResolved) == []


def test_a_program_sets_the_hours_or_turns_the_row_off() -> None:
    twelve = AlertSection(source=SOURCE, rules={UNWITNESSED: RuleChange(threshold=12)}).table
    off = AlertSection(source=SOURCE, rules={UNWITNESSED: RuleChange(disabled=True)}).table
    clinic = returned()
    assert flag(clinic, RETURNED + timedelta(days=5), off) == 0
    assert flag(clinic, RETURNED + timedelta(hours=13), twelve) == 1

    [alert] = alerts(clinic)
    assert alert.rule_version.startswith("1+program:")
    assert alert.occurred_at == RETURNED + timedelta(hours=12)
    assert alert.detail.endswith("not confirmed by them within 12 h")
