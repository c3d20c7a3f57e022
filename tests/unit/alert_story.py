"""One client's record driven through the real commands, in memory, at a chosen clinical time.

The commands run against a unit of work whose aggregates start empty and are kept between
commands (what the store would load); every event recorded is kept in order, so a test can
replay them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from in_memory import InMemory
from medication_story import inducted

from carecoord.events import Actor, CareEvent, Role, Schedule
from carecoord.events.alerts import AlertRaised
from carecoord.events.checkins import AnalyteFinding, AnalyteResult, Instrument, ScreenMethod
from carecoord.events.therapy import Modality, SessionFormat
from carecoord.services.alerts import commands as alert_commands
from carecoord.services.alerts.record import AlertRecord
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.checkins import commands as checkins
from carecoord.services.checkins.instruments import INSTRUMENTS
from carecoord.services.checkins.record import CheckIn, Vitals
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.medication import commands as medication
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.rules import DEFAULT_RULES, MedicationRules
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome

DOCTOR = Actor(id="dr-lee", role=Role.PRESCRIBER)
NURSE = Actor(id="nurse-kim", role=Role.NURSE)
THERAPIST = Actor(id="ther-ana", role=Role.THERAPIST)
PEER = Actor(id="peer-jo", role=Role.PEER_SUPPORTER)
ADMIN = Actor(id="admin-max", role=Role.PROGRAM_ADMIN)
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def answers_totalling(instrument: Instrument, total: int) -> dict[str, int]:
    """Answers to every required item whose points add up to ``total`` (scored items only)."""
    spec = INSTRUMENTS[instrument]
    items = [i for i in spec.items if i.required]

    def fill(k: int, left: int) -> list[int] | None:
        if k == len(items):
            return [] if left == 0 else None
        item = items[k]
        options = sorted(item.allowed, key=item.points, reverse=True) if item.scored else [0]
        for value in options:
            if item.points(value) <= left:
                rest = fill(k + 1, left - item.points(value))
                if rest is not None:
                    return [value, *rest]
        return None

    values = fill(0, total)
    assert values is not None, f"{instrument} cannot total {total}"
    return {item.id: value for item, value in zip(items, values, strict=True)}


class Story(InMemory):
    def __init__(
        self, rules: AlertRules = DEFAULT_ALERT_RULES, medication: MedicationRules = DEFAULT_RULES
    ) -> None:
        super().__init__()
        self.rules = rules
        self.medication = medication
        self.now = START
        self.client_id = self.run(
            enroll_client(self.stamp(NURSE), display_name="Sam", program="OTP")
        )
        self.join(self.client_id, THERAPIST)

    def join(self, client_id: UUID, member: Actor) -> None:
        """Put ``member`` on the client's care team, in their role."""
        self.run(
            assign_member(
                self.stamp(ADMIN), client_id=client_id, member_id=member.id, role=member.role
            )
        )

    def stamp(self, actor: Actor) -> Stamp:
        return Stamp(actor, clock=lambda: self.now)

    def later(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def events(self) -> list[CareEvent]:
        """Everything recorded, in the order it was recorded."""
        pending = [r for a in self.touched.values() for r in a.pending]
        return [r.event for r in sorted(pending, key=lambda r: r.event.recorded_at)]  # stable

    def alerts(self) -> list[AlertRaised]:
        record = self.touched.get(aggregate_id(AlertRecord.context, self.client_id))
        pending = [] if record is None else record.pending
        return [r.event for r in pending if isinstance(r.event, AlertRaised)]

    def fired(self) -> list[str]:
        return [a.rule_id for a in self.alerts()]

    # Steps of the story.

    def check_in(self, actor: Actor = PEER, at: datetime | None = None, **given: Any) -> UUID:
        """A check-in a day later, taken ``at`` (entered late) or then."""
        return self.next_day(
            checkins.record_check_in, actor, check_in=CheckIn(**given), occurred_at=at
        )

    def instrument(
        self,
        instrument: Instrument,
        answers: Mapping[str, int],
        actor: Actor = NURSE,
        at: datetime | None = None,
    ) -> UUID:
        """An instrument scored a day later, taken ``at`` (entered late) or then."""
        return self.next_day(
            checkins.score_instrument, actor, instrument=instrument, answers=answers,
            occurred_at=at,
        )  # fmt: skip

    def screen(self, at: datetime | None = None, **results: str) -> UUID:
        """A screen resulted a day later, collected ``at`` (entered late) or then."""
        findings = {
            a: AnalyteFinding(analyte=a, result=AnalyteResult(r)) for a, r in results.items()
        }
        return self.next_day(
            checkins.record_drug_screen, NURSE, method=ScreenMethod.PRESUMPTIVE,
            results=findings, occurred_at=at,
        )  # fmt: skip

    def vitals(self, at: datetime | None = None, **measures: int) -> UUID:
        return self.next_day(
            checkins.record_vital_signs, NURSE, vitals=Vitals(**measures), occurred_at=at
        )

    def next_day(self, write: Callable[..., Command[UUID]], actor: Actor, **given: Any) -> UUID:
        """A day later, ``write`` about this client by ``actor``, under the story's rules."""
        self.later(days=1)
        return self.run(
            write(self.stamp(actor), client_id=self.client_id, rules=self.rules, **given)
        )

    def prescribe(
        self,
        medication_code: str = "methadone",
        start: date | None = None,
        end: date | None = None,
        dose: Decimal | None = None,
    ) -> UUID:
        buprenorphine = medication_code == "buprenorphine"
        route, usual = ("sublingual", Decimal(16)) if buprenorphine else ("oral", Decimal(60))
        dose = usual if dose is None else dose
        first = start or self.medication.day_of(self.now)
        order = NewOrder(
            medication_code, dose, "mg", route, Schedule(), first, end,
            acknowledgements=inducted(),
        )  # fmt: skip
        written = self.run(
            medication.prescribe(
                self.stamp(DOCTOR), client_id=self.client_id, order=order, rules=self.medication
            )
        )
        order_id: UUID = written.id
        return order_id

    def stop(self, order_id: UUID) -> None:
        self.run(
            medication.discontinue_order(
                self.stamp(DOCTOR), client_id=self.client_id, order_id=order_id,
                reason="client left the program", rules=self.medication,
            )
        )  # fmt: skip

    def hold(self, order_id: UUID, reason: str = "intoxicated at the window") -> None:
        self.run(
            medication.hold_order(
                self.stamp(DOCTOR), client_id=self.client_id, order_id=order_id, reason=reason
            )
        )

    def resume(self, order_id: UUID, reason: str = "assessed; dosing again") -> None:
        self.run(
            medication.resume_order(
                self.stamp(DOCTOR), client_id=self.client_id, order_id=order_id, reason=reason
            )
        )

    def dose(
        self, order_id: UUID, form: str = "oral solution", amount: Decimal = Decimal(60)
    ) -> None:
        self.run(
            medication.administer_dose(
                self.stamp(NURSE), client_id=self.client_id,
                dose=GivenDose(order_id, amount, form, given_at=self.now),
                rules=self.medication,
            )
        )  # fmt: skip

    def session(
        self, outcome: Outcome, minutes: int | None = 50, began: datetime | None = None
    ) -> UUID:
        """A session a day later and its outcome; one that ``began`` earlier is entered late."""
        self.later(days=1)
        session_id = self.run(
            therapy.schedule_session(
                self.stamp(THERAPIST), client_ids=[self.client_id], modality=Modality.CBT,
                format=SessionFormat.INDIVIDUAL,
                scheduled_for=began or self.now + timedelta(hours=2), planned_minutes=50,
            )
        )  # fmt: skip
        self.later(hours=3)
        self.run(
            therapy.record_attendance(
                self.stamp(THERAPIST), session_id=session_id,
                attendance=[(self.client_id, outcome)],
                duration_minutes=minutes if outcome is Outcome.ATTENDED else None,
                rules=self.rules,
            )
        )  # fmt: skip
        return session_id

    def mark_in_error(self, entry_id: UUID, reason: str = "typed on the wrong client") -> None:
        """A nurse marks a check-in, screen or vital signs entered in error."""
        self.run(
            checkins.mark_entered_in_error(
                self.stamp(NURSE),
                client_id=self.client_id,
                entry_id=entry_id,
                reason=reason,
                rules=self.rules,
            )
        )

    def acknowledge(self, alert_id: UUID, note: str = "called the client") -> None:
        self.later(hours=1)
        self.run(
            alert_commands.acknowledge_alert(
                self.stamp(THERAPIST), client_id=self.client_id, alert_id=alert_id, note=note
            )
        )

    def resolve(self, alert_id: UUID, note: str = "seen; plan updated") -> None:
        self.later(hours=1)
        self.run(
            alert_commands.resolve_alert(
                self.stamp(DOCTOR), client_id=self.client_id, alert_id=alert_id, note=note
            )
        )
