"""Take-home bottles brought back (``returnTakeHome``): witnessed, checked against what is
out, and then no longer out: the recall they answer resolves, and a day whose bottle came
back untouched no longer holds a new order back. A hold with bottles out recalls them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from test_take_home_recall_commands import DOCTOR, JAN, NURSE, Clinic, at

from carecoord.events import Actor, CareEvent, Role, Schedule
from carecoord.events.alerts import AlertRaised, AlertResolved
from carecoord.events.care import DischargeReason
from carecoord.events.medication import OrderHeld, TakeHomeReturned, TakeHomeReturnWitnessed
from carecoord.services.alerts.replay import replay
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES
from carecoord.services.care import commands as care
from carecoord.services.careteam.commands import assign_member
from carecoord.services.infrastructure.idempotency import decode_result, encode_result
from carecoord.services.kernel.errors import DomainError
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands
from carecoord.services.medication.dispensing import Bottle, TakeHome, TakeHomeInError
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.returns import BottleBack, TakeHomeReturn
from carecoord.services.runtime.missed_sweep import SWEEPER
from carecoord.services.users import commands as users

WITNESS = "nurse-ann"
OTHER_NURSES = ("nurse-kim", "nurse-bo")
"""On the client's care team with ``WITNESS``: each may witness a return another records."""
JAN2, JAN3, JAN4 = (JAN + timedelta(days=n) for n in (1, 2, 3))


class Returns(Clinic):
    """The clinic of the recall's commands, keeping every event in the order decided."""

    def __init__(self) -> None:
        self.log: list[CareEvent] = []
        super().__init__()
        admin = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN), clock=lambda: self.now)
        for nurse in (WITNESS, *OTHER_NURSES):
            self.run(
                assign_member(admin, client_id=self.client_id, member_id=nurse, role=Role.NURSE)
            )

    def run(self, command: Any) -> Any:
        before = {id(a): len(a.pending) for a in self.touched.values()}
        try:
            return super().run(command)
        finally:
            for a in self.touched.values():
                self.log.extend(r.event for r in a.pending[before.get(id(a), 0) :])

    def dispense_id(self) -> Any:
        [dispense_id] = self.record().orders[self.order_id].handed_over
        return dispense_id

    def record(self) -> Any:
        return next(a for a in self.touched.values() if isinstance(a, MedicationRecord))

    def stop(self) -> None:
        self.now = at(JAN2, 15)
        self.run(commands.discontinue_order(
            self.stamp(), client_id=self.client_id, order_id=self.order_id, reason="QTc 520"
        ))  # fmt: skip

    def back(
        self, *days: Any, witness: str = WITNESS, actor: Actor = NURSE, lot: str = "LOT-1",
        amount: Decimal | None = None,
    ) -> Any:  # fmt: skip
        bottles = tuple(BottleBack(self.dispense_id(), d, 1, lot, amount) for d in days)
        return self.run(commands.return_take_home(
            self.stamp(actor), client_id=self.client_id,
            returned=TakeHomeReturn(bottles, witness),
        ))  # fmt: skip

    def restart(self, start: Any) -> Any:
        order = NewOrder("buprenorphine", Decimal(4), "mg", "sublingual", Schedule(), start)
        return self.run(commands.prescribe(self.stamp(), client_id=self.client_id, order=order))

    def of(self, cls: type[Any]) -> list[Any]:
        return [e for e in self.log if isinstance(e, cls)]


def test_bottles_returned_resolve_the_recall_and_free_their_days_for_a_new_order() -> None:
    clinic = Returns()
    clinic.stop()
    [recall] = clinic.recalls()
    with pytest.raises(DomainError, match="through 2026-01-04"):
        clinic.restart(JAN2)

    clinic.now = at(JAN2, 16)
    clinic.back(JAN2, JAN3, JAN4)

    [returned] = clinic.of(TakeHomeReturned)
    assert [(b.day, b.full, b.lot) for b in returned.bottles] == [
        (JAN2, True, "LOT-1"), (JAN3, True, "LOT-1"), (JAN4, True, "LOT-1"),
    ]  # fmt: skip
    assert returned.witness_id == WITNESS
    [resolved] = clinic.of(AlertResolved)
    assert resolved.alert_id == recall.alert_id
    assert clinic.restart(JAN2).refused is None
    assert replay(DEFAULT_ALERT_RULES, clinic.log) == clinic.of(AlertRaised)


def test_the_recall_stays_open_while_a_bottle_it_named_is_out() -> None:
    clinic = Returns()
    clinic.stop()
    clinic.now = at(JAN2, 16)
    first = clinic.back(JAN3)

    assert [(d, b.day) for d, b in first.still_out] == [(clinic.dispense_id(), JAN4)]
    assert decode_result(encode_result(first)) == first  # kept under an idempotency key
    assert clinic.of(AlertResolved) == []
    with pytest.raises(DomainError, match="through 2026-01-04"):
        clinic.restart(JAN3)
    assert clinic.back(JAN4).still_out == ()
    assert len(clinic.of(AlertResolved)) == 1


def test_a_bottle_returned_in_part_is_back_but_its_day_was_dosed() -> None:
    clinic = Returns()
    clinic.stop()
    clinic.now = at(JAN2, 16)
    clinic.back(JAN3, amount=Decimal(3))
    clinic.back(JAN4)

    assert len(clinic.of(AlertResolved)) == 1
    with pytest.raises(DomainError, match="through 2026-01-03"):
        clinic.restart(JAN3)
    assert clinic.restart(JAN4).refused is None


def refused(clinic: Returns, **given: Any) -> str:
    with pytest.raises(DomainError) as caught:
        clinic.back(*given.pop("days", (JAN3,)), **given)
    return f"{caught.value.field} {caught.value.rule}"


def test_a_return_is_checked_against_what_is_out() -> None:
    clinic = Returns()
    clinic.now = at(JAN2, 10)
    assert refused(clinic, witness="nurse-kim") == "witnessId witness-distinct"
    assert refused(clinic, witness=" ") == "witnessId witness-required"
    assert refused(clinic, lot="LOT-2") == "bottles.0.lot returned-lot"
    assert refused(clinic, amount=Decimal(9)) == "bottles.0.amount returned-amount"
    assert refused(clinic, days=(JAN,)) == "bottles.0.day unknown-bottle"
    assert refused(clinic, days=(JAN3, JAN3)) == "bottles.1.day bottle-once"
    unknown = TakeHomeReturn((BottleBack(uuid4(), JAN3, 1, "LOT-1"),), WITNESS)
    with pytest.raises(DomainError) as caught:
        clinic.run(commands.return_take_home(
            clinic.stamp(NURSE), client_id=clinic.client_id, returned=unknown
        ))  # fmt: skip
    assert (caught.value.field, caught.value.rule) == ("bottles.0.dispenseId", "unknown-take-home")
    clinic.back(JAN3)
    assert refused(clinic) == "bottles.0.day bottle-out"
    assert clinic.of(TakeHomeReturned)[0].bottles[0].amount == Decimal(8)


def test_a_return_is_not_dated_before_the_hand_over() -> None:
    clinic = Returns()
    bottles = (BottleBack(clinic.dispense_id(), JAN3, 1, "LOT-1"),)
    early = TakeHomeReturn(bottles, WITNESS, returned_at=at(JAN - timedelta(days=1), 12))
    with pytest.raises(DomainError) as caught:
        clinic.run(commands.return_take_home(
            clinic.stamp(NURSE), client_id=clinic.client_id, returned=early
        ))  # fmt: skip
    assert caught.value.field == "returnedAt"


def test_a_hold_with_bottles_out_for_held_days_raises_the_recall() -> None:
    clinic = Returns()
    clinic.now = at(JAN2, 9)
    clinic.run(commands.hold_order(
        clinic.stamp(Actor(id="dr-lee", role=Role.PRESCRIBER)), client_id=clinic.client_id,
        order_id=clinic.order_id, reason="intoxicated",
    ))  # fmt: skip

    [alert] = clinic.recalls()
    assert alert.detail == (
        "2 bottles for days after 2026-01-02: lot LOT-1 2026-01-03 to 2026-01-04 (2)"
    )
    assert replay(DEFAULT_ALERT_RULES, clinic.log) == clinic.of(AlertRaised)
    clinic.back(JAN3, JAN4, actor=DOCTOR, witness="nurse-kim")
    assert [e.alert_id for e in clinic.of(AlertResolved)] == [alert.alert_id]


def test_a_bottle_returned_even_in_part_is_no_supply_the_client_holds() -> None:
    clinic = Returns()
    clinic.now = at(JAN2, 10)
    assert clinic.record().take_home_days() == {JAN2, JAN3, JAN4}
    clinic.back(JAN3, amount=Decimal(2))
    clinic.back(JAN4)

    assert clinic.record().take_home_days() == {JAN2}


def test_a_take_home_with_bottles_returned_is_not_marked_entered_in_error() -> None:
    """It was handed over, and what came back was destroyed: marking it in error would give
    its draws back to the lot as if the doses were there."""
    clinic = Returns()
    clinic.now = at(JAN2, 10)
    clinic.back(JAN3)
    with pytest.raises(DomainError) as caught:
        clinic.run(commands.mark_take_home_entered_in_error(
            clinic.stamp(NURSE), client_id=clinic.client_id,
            in_error=TakeHomeInError(clinic.dispense_id(), "wrong client"),
        ))  # fmt: skip
    assert (caught.value.field, caught.value.rule) == ("dispenseId", "not-returned")


def test_bottles_returned_after_a_discharge_resolve_its_recall() -> None:
    """A discharged client brings the bottles back: the return is recorded, and resolves the
    recall the stop raised once every bottle after the discharge is back too."""
    clinic = Returns()
    clinic.stop()
    clinic.now = at(JAN2, 16)
    clinic.run(care.discharge_client(
        clinic.stamp(), client_id=clinic.client_id, reason=DischargeReason.LEFT_AGAINST_ADVICE
    ))  # fmt: skip
    clinic.now = at(JAN3, 10)
    clinic.back(JAN3)
    assert clinic.of(AlertResolved) == []
    clinic.back(JAN4)

    [recall] = clinic.recalls()
    assert [e.alert_id for e in clinic.of(AlertResolved)] == [recall.alert_id]
    assert replay(DEFAULT_ALERT_RULES, clinic.log) == clinic.of(AlertRaised)


def test_a_witness_whose_access_is_suspended_is_refused() -> None:
    """Staff who left are suspended: they witness nothing, as they may do nothing else."""
    clinic = Returns()
    clinic.now = at(JAN2, 10)
    admin = Actor(id="admin-ray", role=Role.PROGRAM_ADMIN)
    clinic.run(users.suspend(
        clinic.stamp(admin), user_id=WITNESS, reason="left the program", program=None
    ))  # fmt: skip

    assert refused(clinic) == "witnessId witness-suspended"
    assert clinic.of(TakeHomeReturned) == []
    clinic.back(JAN3, witness="nurse-bo")


def test_a_witness_off_the_care_team_is_refused() -> None:
    """The witness confirms under their own login, a write on the client's record: named
    off the team, they never could, and the return stayed unconfirmed for good."""
    clinic = Returns()
    clinic.now = at(JAN2, 10)

    assert refused(clinic, witness="nurse-elsewhere") == "witnessId witness-on-care-team"
    assert clinic.of(TakeHomeReturned) == []
    clinic.back(JAN3, witness="nurse-bo")


def test_a_hold_the_missed_dose_rule_places_over_days_bottles_are_out_for_recalls_them() -> None:
    """Three days missed at the window hold the order until a prescriber assesses the client
    (their tolerance may be down): the bottles at home for later days hold the same dose, and
    the sweep's hold recalled none of them, where a prescriber's hold did."""
    clinic = Returns()
    clinic.now = at(JAN4, 10)  # back on a day their bottle is for, sent home for the 8th on
    later = TakeHome(clinic.order_id, JAN + timedelta(days=7), 3, "sublingual tablet",
                     tuple(Bottle(f"W{n}", "LOT-2") for n in range(3)))  # fmt: skip
    clinic.run(commands.dispense_take_home(
        clinic.stamp(NURSE), client_id=clinic.client_id, take_home=later
    ))  # fmt: skip
    jan8 = JAN + timedelta(days=7)
    clinic.now = at(jan8, 1)  # the 5th to the 7th passed with no dose
    clinic.run(commands.detect_missed_doses(
        Stamp(SWEEPER, clock=lambda: clinic.now), client_id=clinic.client_id, today=jan8
    ))  # fmt: skip

    [held] = clinic.of(OrderHeld)
    assert held.rule_id == "consecutive-missed-doses"
    [alert] = clinic.recalls()
    assert alert.detail == (
        "2 bottles for days after 2026-01-08: lot LOT-2 2026-01-09 to 2026-01-10 (2)"
    )
    assert replay(DEFAULT_ALERT_RULES, clinic.log) == clinic.of(AlertRaised)
    [_, dispense_id] = clinic.record().orders[clinic.order_id].handed_over
    clinic.run(commands.return_take_home(
        clinic.stamp(NURSE), client_id=clinic.client_id,
        returned=TakeHomeReturn(tuple(
            BottleBack(dispense_id, JAN + timedelta(days=n), 1, "LOT-2", None) for n in (8, 9)
        ), WITNESS),
    ))  # fmt: skip
    assert [e.alert_id for e in clinic.of(AlertResolved)] == [alert.alert_id]


def confirm(clinic: Returns, return_id: Any, by: Actor) -> None:
    clinic.run(commands.witness_take_home_return(
        clinic.stamp(by), client_id=clinic.client_id, return_id=return_id
    ))  # fmt: skip


def test_the_named_witness_confirms_a_return_under_their_own_credentials_once() -> None:
    clinic = Returns()
    clinic.now = at(JAN2, 16)
    return_id = clinic.back(JAN3).return_id
    witness = Actor(id=WITNESS, role=Role.NURSE)

    refusals = []
    for by in (NURSE, Actor(id="nurse-bo", role=Role.NURSE), DOCTOR):
        with pytest.raises(DomainError) as caught:
            confirm(clinic, return_id, by)
        refusals.append(f"{caught.value.field} {caught.value.rule}")
    assert refusals == ["returnId named-witness"] * 3
    with pytest.raises(DomainError, match="no take-home return"):
        confirm(clinic, uuid4(), witness)

    clinic.now = at(JAN2, 17)
    confirm(clinic, return_id, witness)
    [confirmed] = clinic.of(TakeHomeReturnWitnessed)
    assert (confirmed.return_id, confirmed.actor.id) == (return_id, WITNESS)
    assert [b.day for b in confirmed.bottles] == [JAN3]
    assert clinic.record().returns[return_id][1].witnessed
    with pytest.raises(DomainError, match="already witnessed"):
        confirm(clinic, return_id, witness)
