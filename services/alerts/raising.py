"""Recording a fact and the alerts it raises in one transaction.

Commands that record something a rule watches (a check-in, an instrument, a screen, vital
signs, a session outcome) go through ``with_alerts``: it reads the client's history before
the fact, lets the command record it, evaluates the rules and records the alerts on the
client's alert record, all in the command's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.services.alerts.evaluation import evaluate, history_of
from carecoord.services.alerts.record import AlertRecord
from carecoord.services.alerts.rules import AlertRules
from carecoord.services.care.record import ClientRecord
from carecoord.services.checkins.record import CheckInRecord
from carecoord.services.kernel.unit_of_work import UnitOfWork
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.therapy.record import TherapyRecord

E = TypeVar("E", bound=CareEvent)


def with_alerts(uow: UnitOfWork, client_id: UUID, rules: AlertRules, decide: Callable[[], E]) -> E:
    alerts = uow.get(AlertRecord, client_id)
    history = history_of(
        uow.get(CheckInRecord, client_id),
        uow.get(TherapyRecord, client_id),
        uow.get(MedicationRecord, client_id),
        alerts,
        uow.get(ClientRecord, client_id),
    )
    event = decide()
    for alert in evaluate(rules, history, event):
        alerts.raise_alert(alert)
    return event
