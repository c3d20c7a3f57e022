"""A client's medication record driven directly, at a fixed clinical time, for unit tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID, uuid4

from carecoord.events import Actor, CareEvent, Role, Schedule
from carecoord.events.medication import (
    ClearanceEvidence,
    OverrideAcknowledged,
    QtcEvidence,
    TakeHomeCriterion,
    TaperStep,
)
from carecoord.services.checkins.record import PositiveScreen
from carecoord.services.kernel.platform_ids import MISSED_DOSE_SWEEP
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing, eligibility, prescribing
from carecoord.services.medication.dispensing import Bottle, GivenDose, TakeHome
from carecoord.services.medication.eligibility import EligibilityDecision
from carecoord.services.medication.induction import BUPRENORPHINE_INITIAL_DOSE, INITIAL_DOSE
from carecoord.services.medication.monitored import Monitored
from carecoord.services.medication.prescribing import DoseChange, NewOrder, Taper
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import DEFAULT_RULES, MedicationRules
from carecoord.services.medication.take_homes import CRITERIA
from carecoord.services.medication.xr_initiation import XR_INITIATION

E = TypeVar("E", bound=CareEvent)

DOCTOR = Actor(id="dr-lee", role=Role.PRESCRIBER)
NURSE = Actor(id="nurse-kim", role=Role.NURSE)
JAN = date(2026, 1, 1)
INDUCTED = "opioid tolerance confirmed; induction dose per protocol"
"""The prescriber's rationale for an initial methadone or buprenorphine dose above the caps:
a story's orders carry it, so the tests of other rules start a new client at the doses they
were written for; a test of the caps itself passes ``induction=None``."""


def inducted(reason: str | None = INDUCTED) -> dict[str, str]:
    """The acknowledgements of both induction caps, and of extended-release buprenorphine
    started without buprenorphine on record, with ``reason``; none for None."""
    rules = (INITIAL_DOSE, BUPRENORPHINE_INITIAL_DOSE, XR_INITIATION)
    return dict.fromkeys(rules, reason) if reason else {}


def day(n: int) -> date:
    """Day ``n`` of treatment when the first dose is on 1 January."""
    return JAN + timedelta(days=n - 1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), UTC)


class Story:
    """One client's record, and the prescriber's and nurse's steps on it."""

    def __init__(self, rules: MedicationRules = DEFAULT_RULES) -> None:
        self.record = MedicationRecord(uuid4())
        self.rules = rules
        self.now = at(JAN, 8)
        self.qtc: QtcEvidence | None = None
        """The latest QTc check-ins recorded, as the commands would load it."""
        self.screens: list[PositiveScreen] = []
        """The drug screens check-ins recorded that found something."""
        self.clearance: ClearanceEvidence | None = None
        """The latest creatinine clearance check-ins recorded."""

    def monitored(self) -> Monitored:
        return Monitored(self.qtc, tuple(self.screens), self.clearance)

    def screened(self, on: date, *analytes: str) -> UUID:
        """A specimen collected at 9 o'clock on ``on`` found positive for ``analytes``."""
        screen_id = uuid4()
        self.screens.append(PositiveScreen(screen_id, at(on), frozenset(analytes)))
        return screen_id

    def stamp(self, actor: Actor = DOCTOR) -> Stamp:
        return Stamp(actor, clock=lambda: self.now)

    def prescribe(
        self,
        medication: str = "methadone",
        dose: str = "60",
        *,
        route: str = "oral",
        start: date = JAN,
        schedule: Schedule | None = None,
        ack: dict[str, str] | None = None,
        end: date | None = None,
        induction: str | None = INDUCTED,
        written_at: datetime | None = None,
    ) -> UUID:
        order_id = uuid4()
        new = NewOrder(
            medication, Decimal(dose), "mg", route, schedule or Schedule(), start, end,
            acknowledgements=_with_induction(ack, induction), occurred_at=written_at,
        )  # fmt: skip
        prescribing.prescribe(
            self.record, self.stamp(), self.rules, order_id, new, self.monitored()
        )
        return order_id

    def change(
        self,
        order_id: UUID,
        dose: str,
        start: date,
        ack: dict[str, str] | None = None,
        induction: str | None = INDUCTED,
    ) -> UUID:
        new_id = uuid4()
        change = DoseChange(
            order_id, Decimal(dose), start, reason="titration",
            acknowledgements=_with_induction(ack, induction),
        )  # fmt: skip
        prescribing.change_dose(
            self.record, self.stamp(), self.rules, new_id, change, self.monitored()
        )
        return new_id

    def taper(
        self,
        order_id: UUID,
        steps: list[tuple[date, str]],
        *,
        blind: bool = False,
        ack: dict[str, str] | None = None,
        induction: str | None = INDUCTED,
    ) -> UUID:
        new_id = uuid4()
        taper = Taper(
            order_id, tuple(TaperStep(start=d, dose=Decimal(x)) for d, x in steps),
            blind=blind, reason="client request",
            acknowledgements=_with_induction(ack, induction),
        )  # fmt: skip
        prescribing.taper(self.record, self.stamp(), self.rules, new_id, taper, self.monitored())
        return new_id

    def dose(
        self,
        order_id: UUID,
        day: date,
        amount: str = "60",
        slot: int = 1,
        form: str = "oral solution",
        hour: int = 9,
    ) -> UUID:
        dose_id = uuid4()
        given = GivenDose(order_id, Decimal(amount), form, slot, at(day, hour), lot="L1")
        dispensing.administer(
            self.record, self.stamp(NURSE), self.rules, dose_id, given, site="OTP"
        )
        return dose_id

    def types(self) -> list[str]:
        return [type(r.event).__name__ for r in self.record.pending]

    def on(self, day: date, hour: int = 8) -> None:
        """Move the clock: decisions after this are taken at ``hour`` o'clock on ``day``."""
        self.now = at(day, hour)

    def sweep(self, today: date) -> int:
        """The missed-dose sweep as it runs early on ``today``: how many missed days it
        recorded."""
        stamp = Stamp(Actor(id=MISSED_DOSE_SWEEP, role=Role.SYSTEM), clock=lambda: at(today, 1))
        return dispensing.record_missed(self.record, stamp, self.rules, today)

    def hold(self, order_id: UUID, reason: str) -> None:
        prescribing.hold(self.record, self.stamp(), self.rules, order_id, reason)

    def resume(self, order_id: UUID, reason: str) -> None:
        prescribing.resume(self.record, self.stamp(), self.rules, order_id, reason)

    def guest(self, start: date, end: date, site: str = "Riverside OTP") -> UUID:
        """Guest dosing at ``site`` from ``start`` to ``end``, arranged by the nurse; its id."""
        guest_id = uuid4()
        dispensing.arrange_guest_dosing(
            self.record, self.stamp(NURSE), guest_dosing_id=guest_id, site=site, start=start,
            end=end,
        )  # fmt: skip
        return guest_id

    def back_from_guest(self, guest_id: UUID, on: date) -> None:
        """The guest stay ``guest_id`` ended ``on``, the client back home."""
        dispensing.end_guest_dosing(
            self.record, self.stamp(NURSE), guest_dosing_id=guest_id, ended_on=on,
            reason="back home",
        )  # fmt: skip

    def discontinue(
        self, order_id: UUID, stopped_at: datetime | None = None, reason: str = "switching"
    ) -> None:
        prescribing.discontinue(
            self.record, self.stamp(), self.rules, order_id, reason, stopped_at=stopped_at
        )

    def discontinue_in_error(self, order_id: UUID) -> None:
        prescribing.discontinue(
            self.record, self.stamp(), self.rules, order_id, "wrong client", in_error=True
        )

    def eligible(self, max_days: int) -> None:
        criteria = tuple(TakeHomeCriterion(criterion=c, met=True) for c in CRITERIA)
        eligibility.determine_eligibility(
            self.record, self.stamp(), EligibilityDecision(max_days, criteria, "stable")
        )

    def take_home(
        self, order_id: UUID, handed: date, first: date, days: int, program: str = "OTP"
    ) -> None:
        """Take-homes for ``days`` from ``first``, a bottle for each dose the order schedules."""
        doses = days * self.record.orders[order_id].schedule.times_per_day
        given = TakeHome(
            order_id, first, days, "oral solution",
            bottles=tuple(Bottle(f"B{n}", "LOT-7") for n in range(doses)),
            handed_over_at=at(handed, 10),
        )  # fmt: skip
        dispensing.dispense_take_home(
            self.record, self.stamp(NURSE), self.rules, uuid4(), given, program=program
        )

    def events(self, cls: type[E]) -> list[E]:
        return [r.event for r in self.record.pending if isinstance(r.event, cls)]

    def overrides(self) -> list[OverrideAcknowledged]:
        """The overrides recorded but those of the initial dose the story acknowledged."""
        return [o for o in self.events(OverrideAcknowledged) if o.reason != INDUCTED]


def _with_induction(ack: dict[str, str] | None, induction: str | None) -> dict[str, str]:
    """``ack`` with the initial-dose rationale, unless ``ack`` gives one or it is None."""
    return {**inducted(induction), **(ack or {})}
