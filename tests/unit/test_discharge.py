"""A client's treatment episode ends with a discharge and begins again with a readmission:
each refusal names its field and rule and records nothing, and while the client is out of
treatment no dose, take-home, order, level of care or goal is recorded for them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from in_memory import InMemory
from medication_story import INDUCTED

from carecoord.events import Actor, CareEvent, Role, Schedule
from carecoord.events.care import (
    ClientDischarged,
    ClientReadmitted,
    DischargeEnteredInError,
    DischargeReason,
    LevelOfCare,
    ReadmissionEnteredInError,
)
from carecoord.events.medication import (
    DoseMissed,
    OrderHeld,
    StatementSource,
    TakeHomeCriterion,
    TakeHomeDispensed,
)
from carecoord.services.care import commands as care
from carecoord.services.kernel.errors import DomainError
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.medication import commands
from carecoord.services.medication.dispensing import Bottle, GivenDose, InError, TakeHome
from carecoord.services.medication.eligibility import EligibilityDecision
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.statements import Statement
from carecoord.services.medication.take_homes import CRITERIA

DOCTOR = Actor(id="dr-lee", role=Role.PRESCRIBER)
NURSE = Actor(id="nurse-kim", role=Role.NURSE)
JAN = date(2026, 1, 1)
DISCHARGED = datetime(2026, 1, 10, 15, tzinfo=UTC)
MARCH = date(2026, 3, 1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), UTC)


class Clinic(InMemory):
    """One client enrolled on 1 January at 8 o'clock, the clock at ``now``."""

    def __init__(self) -> None:
        super().__init__()
        self.now = at(JAN, 8)
        self.client_id = self.run(
            care.enroll_client(self.stamp(), display_name="Sam", program="OTP")
        )

    def stamp(self, actor: Actor = DOCTOR) -> Stamp:
        return Stamp(actor, clock=lambda: self.now)

    def events(self) -> list[CareEvent]:
        return [r.event for a in self.touched.values() for r in a.pending]

    def refused(self, command: Command[Any]) -> DomainError:
        """``command`` refused, with nothing recorded."""
        before = len(self.events())
        with pytest.raises(DomainError) as refusal:
            self.run(command)
        assert len(self.events()) == before
        return refusal.value

    def prescribe(self, start: date) -> UUID:
        """Buprenorphine 8 mg a day: the take-home rules of a methadone restart do not
        apply to it, so what a readmission changes is seen alone."""
        order = NewOrder("buprenorphine", Decimal(8), "mg", "sublingual", Schedule(), start)
        return self.run(commands.prescribe(self.stamp(), client_id=self.client_id, order=order)).id

    def dose(self, order_id: UUID, given_at: datetime | None = None) -> UUID:
        dose = GivenDose(order_id, Decimal(8), "sublingual tablet", given_at=given_at)
        return self.run(commands.administer_dose(self.stamp(NURSE), client_id=self.client_id,
                                                 dose=dose))  # fmt: skip

    def discontinue(self, order_id: UUID) -> None:
        self.run(
            commands.discontinue_order(
                self.stamp(), client_id=self.client_id, order_id=order_id, reason="discharge"
            )
        )

    def discharge(self, when: datetime | None = DISCHARGED, note: str = "") -> None:
        self.run(self.discharging(when, note))

    def discharging(self, when: datetime | None = DISCHARGED, note: str = "") -> Command[UUID]:
        return care.discharge_client(
            self.stamp(), client_id=self.client_id, discharged_at=when, note=note,
            reason=DischargeReason.LEFT_AGAINST_ADVICE,
        )  # fmt: skip

    def readmitting(self, when: datetime | None) -> Command[UUID]:
        return care.readmit_client(self.stamp(), client_id=self.client_id, readmitted_at=when)

    def eligible(self, max_days: int) -> None:
        criteria = tuple(TakeHomeCriterion(criterion=c, met=True) for c in CRITERIA)
        decision = EligibilityDecision(max_days, criteria, basis="stable")
        self.run(commands.determine_take_home_eligibility(
            self.stamp(), client_id=self.client_id, decision=decision))  # fmt: skip

    def take_home(self, order_id: UUID, days: int) -> Command[UUID]:
        first = self.now.date() + timedelta(days=1)
        bottles = tuple(Bottle(f"B{n}", "LOT-1") for n in range(days))
        given = TakeHome(order_id, first, days, "sublingual tablet", bottles)
        return commands.dispense_take_home(
            self.stamp(NURSE), client_id=self.client_id, take_home=given
        )


def discharged() -> tuple[Clinic, UUID]:
    """Dosed from 1 to 9 January on an order discontinued on the 10th, then discharged."""
    clinic = Clinic()
    order_id = clinic.prescribe(JAN)
    for n in range(9):
        clinic.now = at(JAN + timedelta(days=n))
        clinic.dose(order_id)
    clinic.now = DISCHARGED
    clinic.discontinue(order_id)
    clinic.discharge()
    return clinic, order_id


def test_a_discharge_is_refused_while_an_order_is_in_force_and_names_it() -> None:
    clinic = Clinic()
    order_id = clinic.prescribe(JAN)
    clinic.now = DISCHARGED

    refusal = clinic.refused(clinic.discharging())

    assert (refusal.code, refusal.field, refusal.rule) == (
        "RULE_VIOLATION", "clientId", "orders-in-force",
    )  # fmt: skip
    assert refusal.details == {"orderIds": [str(order_id)]}
    assert str(order_id) in refusal.message


def test_an_order_ended_before_the_discharge_does_not_hold_it_up() -> None:
    clinic = Clinic()
    clinic.run(
        care.change_level_of_care(clinic.stamp(), client_id=clinic.client_id,
                                  level=LevelOfCare.OUTPATIENT)
    )  # fmt: skip
    order = NewOrder(
        "buprenorphine", Decimal(8), "mg", "sublingual", Schedule(), JAN, JAN + timedelta(days=5)
    )
    clinic.run(commands.prescribe(clinic.stamp(), client_id=clinic.client_id, order=order))
    clinic.now = DISCHARGED

    clinic.discharge(note="moved away")

    [event] = [e for e in clinic.events() if isinstance(e, ClientDischarged)]
    assert (event.reason, event.level, event.note) == (
        DischargeReason.LEFT_AGAINST_ADVICE, LevelOfCare.OUTPATIENT, "moved away",
    )  # fmt: skip
    assert event.occurred_at == DISCHARGED


@pytest.mark.parametrize(
    ("when", "code", "rule"),
    [
        (at(JAN, 7), "BAD_USER_INPUT", "after-enrolment"),
        (DISCHARGED + timedelta(minutes=6), "BAD_USER_INPUT", "not-in-future"),
    ],
)
def test_a_discharge_is_dated_within_the_episode_and_by_now(
    when: datetime, code: str, rule: str
) -> None:
    clinic = Clinic()
    clinic.now = DISCHARGED

    refusal = clinic.refused(clinic.discharging(when))

    assert (refusal.code, refusal.field, refusal.rule) == (code, "dischargedAt", rule)


def test_a_discharge_is_not_dated_before_the_current_level_of_care_began() -> None:
    clinic = Clinic()
    clinic.now = DISCHARGED
    clinic.run(
        care.change_level_of_care(clinic.stamp(), client_id=clinic.client_id,
                                  level=LevelOfCare.RESIDENTIAL, occurred_at=at(JAN, 12))
    )  # fmt: skip

    refusal = clinic.refused(clinic.discharging(at(JAN, 11)))

    assert (refusal.field, refusal.rule) == ("dischargedAt", "in-order")


def test_a_discharge_is_not_dated_at_the_moment_its_episode_or_level_of_care_began() -> None:
    """A discharge at the moment a level of care began, or a readmission, would end a stint
    or an episode of no length, whose beginning lies at the discharge, out of treatment."""
    clinic = Clinic()
    clinic.now = DISCHARGED
    began = at(JAN, 12)
    clinic.run(
        care.change_level_of_care(clinic.stamp(), client_id=clinic.client_id,
                                  level=LevelOfCare.RESIDENTIAL, occurred_at=began)
    )  # fmt: skip

    refusal = clinic.refused(clinic.discharging(began))

    assert (refusal.field, refusal.rule) == ("dischargedAt", "in-order")
    assert "at or before the current level of care began" in refusal.message
    clinic.discharge(began + timedelta(minutes=1))
    readmitted = began + timedelta(hours=1)
    clinic.run(clinic.readmitting(readmitted))
    again = clinic.refused(clinic.discharging(readmitted))
    assert (again.field, again.rule) == ("dischargedAt", "in-order")


def test_a_discharge_is_not_dated_before_a_dose_or_take_home_given() -> None:
    """Dosed on the 9th at 9, the order stopped on the 10th: a discharge dated the 9th at 8
    would leave that dose given to a client out of treatment, as no dose sent then could be;
    one dated back before a take-home's day likewise. A dose marked in error holds none back."""
    clinic = Clinic()
    clinic.now = at(JAN + timedelta(days=8), 7)
    order_id = clinic.prescribe(clinic.now.date())
    clinic.now = at(JAN + timedelta(days=8))
    dose_id = clinic.dose(order_id)
    clinic.eligible(7)
    clinic.run(clinic.take_home(order_id, 1))
    clinic.now = DISCHARGED
    clinic.discontinue(order_id)

    dosed = clinic.refused(clinic.discharging(at(JAN + timedelta(days=8), 8)))
    handed = clinic.refused(clinic.discharging(at(JAN + timedelta(days=7), 10)))

    assert (dosed.code, dosed.field, dosed.rule) == ("BAD_USER_INPUT", "dischargedAt", "in-order")
    assert (handed.field, handed.rule) == ("dischargedAt", "in-order")
    assert "take-home handed over on 2026-01-09" in handed.message
    in_error = InError(dose_id, "wrong client")
    clinic.run(commands.mark_dose_entered_in_error(
        clinic.stamp(NURSE), client_id=clinic.client_id, in_error=in_error))  # fmt: skip
    clinic.discharge(at(JAN + timedelta(days=8), 8))


def test_a_discharge_is_not_dated_at_the_moment_a_dose_was_given() -> None:
    """A discharge at the very moment a dose was given begins the time out of treatment at
    it, when a dose sent for that moment is refused: the dose would stand given to a client
    out of treatment. It was kept, as only a discharge strictly before the dose was refused."""
    clinic = Clinic()
    clinic.now = at(JAN + timedelta(days=8), 7)
    order_id = clinic.prescribe(clinic.now.date())
    given = at(JAN + timedelta(days=8))
    clinic.now = DISCHARGED
    clinic.dose(order_id, given)
    clinic.discontinue(order_id)

    refusal = clinic.refused(clinic.discharging(given))

    assert (refusal.field, refusal.rule) == ("dischargedAt", "in-order")
    clinic.discharge(given + timedelta(minutes=1))


def test_a_discharge_is_not_dated_at_or_before_a_goal_set() -> None:
    """A goal set after the discharge's time would be one set for a client out of treatment,
    which setting it then is refused as."""
    clinic = Clinic()
    clinic.now = DISCHARGED
    goal = care.set_treatment_goal(
        clinic.stamp(), client_id=clinic.client_id, description="work", occurred_at=at(JAN, 12)
    )
    clinic.run(goal)

    for when in (at(JAN, 11), at(JAN, 12)):
        refusal = clinic.refused(clinic.discharging(when))
        assert (refusal.field, refusal.rule) == ("dischargedAt", "in-order")
    clinic.discharge(at(JAN, 13))


def test_a_discharge_is_not_dated_at_or_before_an_order_written() -> None:
    """An order written, never dosed and stopped: a discharge dated before it was written
    would leave it written for a client out of treatment, which writing it then is refused as."""
    clinic = Clinic()
    clinic.now = at(JAN + timedelta(days=4))
    order_id = clinic.prescribe(clinic.now.date() + timedelta(days=1))
    clinic.now = DISCHARGED
    clinic.discontinue(order_id)

    for when in (at(JAN + timedelta(days=3)), at(JAN + timedelta(days=4))):
        refusal = clinic.refused(clinic.discharging(when))
        assert (refusal.field, refusal.rule) == ("dischargedAt", "in-order")
    clinic.discharge(at(JAN + timedelta(days=4), 10))


def test_a_discharged_client_is_not_discharged_again_nor_dosed_nor_ordered_for() -> None:
    clinic, order_id = discharged()
    clinic.now = DISCHARGED + timedelta(hours=1)

    assert clinic.refused(clinic.discharging(None)).rule == "already-discharged"
    order = NewOrder(
        "methadone", Decimal(40), "mg", "oral", Schedule(), DISCHARGED.date(),
        acknowledgements={INITIAL_DOSE: INDUCTED},
    )  # fmt: skip
    refusals = [
        clinic.refused(commands.prescribe(clinic.stamp(), client_id=clinic.client_id,
                                          order=order)),
        clinic.refused(commands.administer_dose(
            clinic.stamp(NURSE), client_id=clinic.client_id,
            dose=GivenDose(order_id, Decimal(8), "sublingual tablet"))),
        clinic.refused(care.change_level_of_care(
            clinic.stamp(), client_id=clinic.client_id, level=LevelOfCare.AFTERCARE)),
        clinic.refused(care.set_treatment_goal(
            clinic.stamp(), client_id=clinic.client_id, description="stay housed")),
    ]  # fmt: skip
    assert {(r.code, r.field, r.rule) for r in refusals} == {
        ("RULE_VIOLATION", "clientId", "client-discharged")
    }
    # What the client takes elsewhere is still recorded: it is no new treatment here.
    statement = Statement("sertraline", StatementSource.CLIENT, Decimal(50), "mg")
    clinic.run(commands.record_statement(clinic.stamp(), client_id=clinic.client_id,
                                         statement=statement))  # fmt: skip


def test_a_readmission_comes_after_a_discharge_and_reopens_the_record() -> None:
    clinic = Clinic()
    assert clinic.refused(clinic.readmitting(None)).rule == "not-discharged"
    clinic, old_order = discharged()
    clinic.now = at(MARCH)

    early = clinic.refused(clinic.readmitting(DISCHARGED - timedelta(minutes=1)))
    assert (early.code, early.field, early.rule) == (
        "BAD_USER_INPUT", "readmittedAt", "after-discharge",
    )  # fmt: skip
    ahead = clinic.refused(clinic.readmitting(at(MARCH, 10)))
    assert (ahead.field, ahead.rule) == ("readmittedAt", "not-in-future")
    clinic.run(clinic.readmitting(at(MARCH, 8)))

    [event] = [e for e in clinic.events() if isinstance(e, ClientReadmitted)]
    assert (event.program, event.discharged_at) == ("OTP", DISCHARGED)
    order_id = clinic.prescribe(MARCH)
    clinic.dose(order_id)
    # A dose charted late for a day the client was out of treatment is refused still.
    late = clinic.refused(
        commands.administer_dose(
            clinic.stamp(NURSE),
            client_id=clinic.client_id,
            dose=GivenDose(
                old_order, Decimal(8), "sublingual tablet", given_at=at(date(2026, 2, 1))
            ),
        )
    )
    assert (late.field, late.rule) == ("givenAt", "client-discharged")  # fmt: skip


def test_no_guest_dosing_is_arranged_over_days_out_of_treatment_once_readmitted() -> None:
    """Days dosed elsewhere count as methadone in hand: guest dosing over days the client
    was out of treatment would hide the gap the restart rules hold a first dose back for."""
    clinic, _ = discharged()
    clinic.now = at(MARCH, 9)
    clinic.run(clinic.readmitting(at(MARCH - timedelta(days=2))))

    def arranging(start: date) -> Command[UUID]:
        return commands.arrange_guest_dosing(
            clinic.stamp(NURSE), client_id=clinic.client_id, site="Harbor OTP",
            start=start, end=MARCH + timedelta(days=3),
        )  # fmt: skip

    gap = clinic.refused(arranging(MARCH - timedelta(days=3)))
    back = clinic.refused(arranging(MARCH - timedelta(days=2)))  # past this check

    assert (gap.code, gap.field, gap.rule) == ("RULE_VIOLATION", "start", "client-discharged")
    assert (back.field, back.rule) == ("site", "guest-dosing-consent")


def test_time_in_treatment_and_take_home_eligibility_count_from_the_readmission() -> None:
    clinic, _ = discharged()
    clinic.eligible(28)  # before the readmission: it does not carry over
    clinic.now = at(MARCH)
    clinic.run(clinic.readmitting(at(MARCH, 8)))
    order_id = clinic.prescribe(MARCH)
    clinic.dose(order_id)

    assert clinic.refused(clinic.take_home(order_id, 2)).rule == "take-home-eligibility"
    clinic.eligible(28)
    capped = clinic.refused(clinic.take_home(order_id, 8))
    assert capped.rule == "take-home-cap"
    assert "on day 1 of treatment" in capped.message
    clinic.run(clinic.take_home(order_id, 7))
    [handed] = [e for e in clinic.events() if isinstance(e, TakeHomeDispensed)]
    assert (handed.day_in_treatment, handed.cap_days) == (1, 7)


def test_days_out_of_treatment_are_not_missed_under_an_order_dated_back_before_readmission() -> (
    None
):
    """An order written at the readmission may start days before it: the days the client
    was discharged are none to dose, so the sweep finds none of them missed and the first
    dose back is not held for them."""
    clinic, _ = discharged()
    clinic.now = at(MARCH)
    clinic.run(clinic.readmitting(at(MARCH, 8)))
    order_id = clinic.prescribe(MARCH - timedelta(days=9))

    clinic.dose(order_id)
    clinic.now = at(MARCH + timedelta(days=3))
    found = clinic.run(commands.detect_missed_doses(
        clinic.stamp(), client_id=clinic.client_id, today=clinic.now.date()))  # fmt: skip

    missed = [e.day for e in clinic.events() if isinstance(e, DoseMissed)]
    assert (found, missed) == (2, [MARCH + timedelta(days=1), MARCH + timedelta(days=2)])
    assert not [e for e in clinic.events() if isinstance(e, OrderHeld)]


ADMIN = Actor(id="admin-north", role=Role.PROGRAM_ADMIN)


def test_an_admin_is_told_how_many_orders_are_in_force_and_by_whom_not_their_ids() -> None:
    """A program admin reads no client's orders: the refusal tells them whom to ask."""
    clinic = Clinic()
    order_id = clinic.prescribe(JAN)
    clinic.now = DISCHARGED

    refusal = clinic.refused(
        care.discharge_client(clinic.stamp(ADMIN), client_id=clinic.client_id,
                              reason=DischargeReason.ADMINISTRATIVE)
    )  # fmt: skip

    assert (refusal.field, refusal.rule) == ("clientId", "orders-in-force")
    assert refusal.details == {"orderCount": 1, "prescriberIds": [DOCTOR.id]}
    assert str(order_id) not in refusal.message
    assert DOCTOR.id in refusal.message


def test_a_time_sent_in_a_gap_between_episodes_is_named_by_its_field() -> None:
    clinic, _ = discharged()
    clinic.now = at(MARCH)
    clinic.run(clinic.readmitting(at(MARCH, 8)))
    in_gap = at(date(2026, 2, 1))

    level = clinic.refused(care.change_level_of_care(
        clinic.stamp(), client_id=clinic.client_id, level=LevelOfCare.OUTPATIENT,
        occurred_at=in_gap))  # fmt: skip
    goal = clinic.refused(care.set_treatment_goal(
        clinic.stamp(), client_id=clinic.client_id, description="stay housed",
        occurred_at=in_gap))  # fmt: skip

    assert {(r.field, r.rule) for r in (level, goal)} == {("occurredAt", "client-discharged")}


def deceased() -> Clinic:
    clinic = Clinic()
    clinic.now = DISCHARGED
    clinic.run(care.discharge_client(clinic.stamp(), client_id=clinic.client_id,
                                     reason=DischargeReason.DECEASED))  # fmt: skip
    return clinic


def test_a_client_discharged_as_deceased_is_not_readmitted_until_the_death_is_corrected() -> None:
    clinic = deceased()
    clinic.now = at(MARCH)

    refusal = clinic.refused(clinic.readmitting(None))

    assert (refusal.code, refusal.field, refusal.rule) == (
        "RULE_VIOLATION", "clientId", "client-deceased",
    )  # fmt: skip
    [discharge] = [e for e in clinic.events() if isinstance(e, ClientDischarged)]
    clinic.run(care.mark_discharge_in_error(
        clinic.stamp(ADMIN), client_id=clinic.client_id, discharge_id=discharge.event_id,
        reason="another client's death"))  # fmt: skip
    # The episode goes on from the enrolment: nothing to readmit, and the client is treated.
    assert clinic.refused(clinic.readmitting(None)).rule == "not-discharged"
    clinic.dose(clinic.prescribe(MARCH))
    [marked] = [e for e in clinic.events() if isinstance(e, DischargeEnteredInError)]
    assert (marked.entry_event_id, marked.discharged_at, marked.admitted_at) == (
        discharge.event_id, DISCHARGED, at(JAN, 8),
    )  # fmt: skip
    assert marked.summary() == "Discharge entered in error (another client's death)"


def test_a_discharge_in_error_restores_the_episode_and_its_level_of_care() -> None:
    clinic = Clinic()
    clinic.run(care.change_level_of_care(clinic.stamp(), client_id=clinic.client_id,
                                         level=LevelOfCare.OUTPATIENT, asam_level="1"))  # fmt: skip
    clinic.now = DISCHARGED
    clinic.discharge()
    [discharge] = [e for e in clinic.events() if isinstance(e, ClientDischarged)]

    def marking(reason: str, actor: Actor = DOCTOR, entry: UUID | None = None) -> Command[UUID]:
        return care.mark_discharge_in_error(
            clinic.stamp(actor), client_id=clinic.client_id, reason=reason,
            discharge_id=entry or discharge.event_id,
        )  # fmt: skip

    blank = clinic.refused(marking("  \u200b"))
    assert (blank.code, blank.field, blank.rule) == ("BAD_USER_INPUT", "reason", "reason-required")
    unknown = clinic.refused(marking("wrong client", entry=clinic.client_id))
    assert (unknown.code, unknown.field, unknown.rule) == (
        "NOT_FOUND", "dischargeId", "unknown-discharge",
    )  # fmt: skip
    clinic.run(marking("wrong client"))

    assert clinic.refused(marking("again")).rule == "already-in-error"
    same = clinic.refused(care.change_level_of_care(
        clinic.stamp(), client_id=clinic.client_id, level=LevelOfCare.OUTPATIENT,
        asam_level="1"))  # fmt: skip
    assert same.rule == "same-level"  # where it stood before the discharge
    clinic.discharge(DISCHARGED + timedelta(minutes=1))  # a new discharge: its own episode end


def test_a_discharge_is_corrected_only_after_the_readmission_after_it() -> None:
    clinic, _ = discharged()
    [discharge] = [e for e in clinic.events() if isinstance(e, ClientDischarged)]
    clinic.now = at(MARCH)
    clinic.run(clinic.readmitting(at(MARCH, 8)))
    [readmission] = [e for e in clinic.events() if isinstance(e, ClientReadmitted)]

    def discharge_in_error() -> Command[UUID]:
        return care.mark_discharge_in_error(
            clinic.stamp(), client_id=clinic.client_id, discharge_id=discharge.event_id,
            reason="wrong",
        )  # fmt: skip

    def readmission_in_error(actor: Actor = DOCTOR) -> Command[UUID]:
        return care.mark_readmission_in_error(
            clinic.stamp(actor), client_id=clinic.client_id,
            readmission_id=readmission.event_id, reason="wrong client",
        )  # fmt: skip

    later = clinic.refused(discharge_in_error())
    assert (later.code, later.field, later.rule) == (
        "RULE_VIOLATION", "dischargeId", "readmission-since",
    )  # fmt: skip
    wrong_kind = clinic.refused(care.mark_discharge_in_error(
        clinic.stamp(), client_id=clinic.client_id, discharge_id=readmission.event_id,
        reason="wrong"))  # fmt: skip
    assert wrong_kind.rule == "unknown-discharge"

    # A dose given in the episode the readmission began holds its correction up; a program
    # admin is not told when the client was dosed.
    order_id = clinic.prescribe(MARCH)
    dose_id = clinic.dose(order_id)
    held = clinic.refused(readmission_in_error())
    assert (held.field, held.rule) == ("readmissionId", "in-treatment-since")
    assert "a dose given 2026-03-01T09:00" in held.message
    hidden = clinic.refused(readmission_in_error(ADMIN))
    assert "dose" not in hidden.message
    assert "an entry of a kind your role does not read" in hidden.message

    clinic.run(commands.mark_dose_entered_in_error(
        clinic.stamp(NURSE), client_id=clinic.client_id,
        in_error=InError(dose_id, "wrong client")))  # fmt: skip
    ordered = clinic.refused(readmission_in_error())
    assert "an order written" in ordered.message
    clinic.run(commands.discontinue_order(
        clinic.stamp(), client_id=clinic.client_id, order_id=order_id, reason="wrong client",
        in_error=True))  # fmt: skip
    clinic.run(readmission_in_error())

    # Out of treatment again from the discharge; the discharge may be corrected now.
    goal = clinic.refused(care.set_treatment_goal(
        clinic.stamp(), client_id=clinic.client_id, description="stay housed"))  # fmt: skip
    assert (goal.field, goal.rule) == ("clientId", "client-discharged")
    assert clinic.refused(readmission_in_error()).rule == "already-in-error"
    clinic.run(discharge_in_error())
    [marked] = [e for e in clinic.events() if isinstance(e, ReadmissionEnteredInError)]
    assert (marked.readmitted_at, marked.discharged_at) == (at(MARCH, 8), DISCHARGED)


def test_a_readmission_is_corrected_only_before_a_discharge_after_it() -> None:
    clinic, _ = discharged()
    clinic.now = at(MARCH)
    clinic.run(clinic.readmitting(at(MARCH, 8)))
    [readmission] = [e for e in clinic.events() if isinstance(e, ClientReadmitted)]
    clinic.now = at(MARCH, 10)
    clinic.discharge(None)

    refusal = clinic.refused(care.mark_readmission_in_error(
        clinic.stamp(), client_id=clinic.client_id, readmission_id=readmission.event_id,
        reason="wrong client"))  # fmt: skip

    assert (refusal.field, refusal.rule) == ("readmissionId", "discharge-since")
