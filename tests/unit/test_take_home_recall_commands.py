"""take-home-recall through the commands: an order discontinued while its bottles are out
for later days raises it in the stop's transaction, and a discharge after the recall was
resolved with the bottles still out raises it again, on the discharge; a hold lifted with no
bottle out for a day it withheld resolves its recall."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from in_memory import InMemory
from pydantic import ValidationError

from carecoord.events import Actor, CareEvent, Kind, Role, Schedule
from carecoord.events.alerts import AlertRaised, AlertResolved
from carecoord.events.care import ClientDischarged, DischargeReason
from carecoord.events.medication import OrderDiscontinued, Severity, TakeHomeCriterion
from carecoord.services.alerts import commands as alerts
from carecoord.services.alerts.program import AlertSection, RuleChange
from carecoord.services.alerts.recall import LIFTED, still_out
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.care import commands as care
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands
from carecoord.services.medication.dispensing import Bottle, GivenDose, TakeHome
from carecoord.services.medication.eligibility import EligibilityDecision
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.medication.take_homes import CRITERIA

DOCTOR = Actor(id="dr-lee", role=Role.PRESCRIBER)
NURSE = Actor(id="nurse-kim", role=Role.NURSE)
JAN = date(2026, 1, 1)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)


class Clinic(InMemory):
    """A client on buprenorphine from 1 January, sent home that day with bottles for the
    2nd to the 4th."""

    def __init__(self) -> None:
        super().__init__()
        self.now = at(JAN, 8)
        self.client_id = self.run(
            care.enroll_client(self.stamp(), display_name="Sam", program="OTP")
        )
        order = NewOrder("buprenorphine", Decimal(8), "mg", "sublingual", Schedule(), JAN)
        self.order_id = self.run(
            commands.prescribe(self.stamp(), client_id=self.client_id, order=order)
        ).id
        self.now = at(JAN, 9)
        dose = GivenDose(self.order_id, Decimal(8), "sublingual tablet")
        self.run(commands.administer_dose(self.stamp(NURSE), client_id=self.client_id, dose=dose))
        criteria = tuple(TakeHomeCriterion(criterion=c, met=True) for c in CRITERIA)
        self.run(commands.determine_take_home_eligibility(
            self.stamp(), client_id=self.client_id,
            decision=EligibilityDecision(7, criteria, basis="stable"),
        ))  # fmt: skip
        bottles = tuple(Bottle(f"B{n}", "LOT-1") for n in range(3))
        given = TakeHome(self.order_id, JAN + timedelta(days=1), 3, "sublingual tablet", bottles)
        self.run(commands.dispense_take_home(
            self.stamp(NURSE), client_id=self.client_id, take_home=given
        ))  # fmt: skip

    def stamp(self, actor: Actor = DOCTOR) -> Stamp:
        return Stamp(actor, clock=lambda: self.now)

    def events(self) -> list[CareEvent]:
        return [r.event for a in self.touched.values() for r in a.pending]

    def recalls(self) -> list[AlertRaised]:
        return [
            e for e in self.events()
            if isinstance(e, AlertRaised) and e.rule_id == "take-home-recall"
        ]  # fmt: skip


def test_a_discharge_after_a_resolved_recall_raises_it_again_for_bottles_still_out() -> None:
    clinic = Clinic()
    clinic.now = at(JAN + timedelta(days=1), 15)
    clinic.run(commands.discontinue_order(
        clinic.stamp(), client_id=clinic.client_id, order_id=clinic.order_id, reason="rash"
    ))  # fmt: skip
    [stop] = [e for e in clinic.events() if isinstance(e, OrderDiscontinued)]
    [first] = clinic.recalls()
    assert first.evidence == (stop.event_id,)
    assert (
        first.detail
        == "2 bottles for days after 2026-01-02: lot LOT-1 2026-01-03 to 2026-01-04 (2)"
    )

    clinic.now = at(JAN + timedelta(days=1), 16)
    clinic.run(alerts.resolve_alert(
        clinic.stamp(), client_id=clinic.client_id, alert_id=first.alert_id, note="one back"
    ))  # fmt: skip
    clinic.now = at(JAN + timedelta(days=1), 17)
    clinic.run(care.discharge_client(
        clinic.stamp(), client_id=clinic.client_id, reason=DischargeReason.LEFT_AGAINST_ADVICE
    ))  # fmt: skip

    [discharged] = [e for e in clinic.events() if isinstance(e, ClientDischarged)]
    [_, again] = clinic.recalls()
    assert again.evidence == (discharged.event_id,)
    assert again.detail == first.detail


SOURCE = "Medical director, 2026-02-01"


def stopped(table: AlertRules) -> list[AlertRaised]:
    clinic = Clinic()
    clinic.now = at(JAN + timedelta(days=1), 15)
    clinic.run(commands.discontinue_order(
        clinic.stamp(), client_id=clinic.client_id, order_id=clinic.order_id, reason="rash",
        alert_rules=table,
    ))  # fmt: skip
    return clinic.recalls()


def test_a_program_sets_the_recall_s_severity_or_turns_it_off_as_any_row_s() -> None:
    """take-home-recall was kept apart from the alert table: a program file naming it was
    refused at start as no such rule, where every other row is tuned or turned off there."""
    moderate = RuleChange(severity=Severity.MODERATE)
    tuned = AlertSection(source=SOURCE, rules={"take-home-recall": moderate}).table
    off = AlertSection(source=SOURCE, rules={"take-home-recall": RuleChange(disabled=True)})

    [alert] = stopped(tuned)
    assert alert.severity is Severity.MODERATE
    assert alert.rule_version == tuned.rule("take-home-recall").version  # type: ignore[union-attr]
    assert alert.rule_version.startswith("3+program:")
    assert stopped(off.table) == []
    assert off.departures() == ([], ["take-home-recall"])
    with pytest.raises(ValidationError, match="threshold cannot be set on this rule"):
        AlertSection(source=SOURCE, rules={"take-home-recall": RuleChange(threshold=2)})


def test_the_recall_shows_to_readers_who_see_orders() -> None:
    """It names bottles, days and lots of an order, nothing of a check-in: a reader whose
    grant shows medications sees it, as the other rows on orders alone."""
    shown = DEFAULT_ALERT_RULES.shown_to(frozenset({Kind.MEDICATION}))
    assert shown is not None
    assert "take-home-recall" in shown
    assert "take-home-recall" not in (DEFAULT_ALERT_RULES.shown_to(frozenset()) or ())


def held(clinic: Clinic, lifted_on: date) -> list[str]:
    """Held on the 2nd, with bottles out for the 2nd to the 4th, and resumed on
    ``lifted_on``: the notes of the recall's resolutions."""
    clinic.now = at(JAN + timedelta(days=1), 15)
    clinic.run(commands.hold_order(
        clinic.stamp(), client_id=clinic.client_id, order_id=clinic.order_id, reason="sedated"
    ))  # fmt: skip
    [recall] = clinic.recalls()
    clinic.now = at(lifted_on, 10)
    clinic.run(commands.resume_order(
        clinic.stamp(), client_id=clinic.client_id, order_id=clinic.order_id, reason="assessed"
    ))  # fmt: skip
    return [
        e.note for e in clinic.events()
        if isinstance(e, AlertResolved) and e.alert_id == recall.alert_id
    ]  # fmt: skip


def test_a_hold_lifted_the_next_day_resolves_its_recall_saying_so() -> None:
    """The bottles for the 3rd and 4th hold doses of the order in force again."""
    assert held(Clinic(), JAN + timedelta(days=2)) == [LIFTED]


def test_a_hold_lifted_later_leaves_the_recall_open_for_a_bottle_of_a_day_it_withheld() -> None:
    """The bottle for the 3rd, a day the order was held, is still to come back; the 4th's is
    the order's dose again."""
    clinic = Clinic()
    assert held(clinic, JAN + timedelta(days=3)) == []
    [record] = [a for a in clinic.touched.values() if isinstance(a, MedicationRecord)]
    out = still_out(record, None, DEFAULT_RULES.day_of)
    assert [bottle.day for _, bottle in out] == [JAN + timedelta(days=2)]
