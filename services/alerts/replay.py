"""Replaying recorded history through the alert rules, for audits and for the proof that
evaluation is deterministic over events.

The replay folds each client's events into the same aggregates the commands read, in the
order the decisions were made, and at each event asks ``evaluate`` what it raises. Raised
alerts are folded in at once (as the command did), the recorded ones are skipped, and the
care team's acknowledgements and resolutions are folded in as recorded. With the rule table
of the time (its rows, and the program's time zone its days are counted in), the result
equals the ``AlertRaised`` events in the store, the take-home rows' among them (a stop's or
a dose change's, ``recall.py``). An alert the clock raised, with no event to replay it on (a
return left unwitnessed, ``unwitnessed.py``), is taken as recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.alerts import AlertRaised
from carecoord.events.positioned import Positioned
from carecoord.services.alerts.evaluation import History, evaluate, history_of
from carecoord.services.alerts.recall import recalled
from carecoord.services.alerts.record import AlertRecord
from carecoord.services.alerts.rules import AlertRules
from carecoord.services.alerts.unwitnessed import UNWITNESSED
from carecoord.services.care.record import ClientRecord
from carecoord.services.checkins.record import CheckInRecord
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.therapy.record import TherapyRecord


@dataclass
class _Client:
    client_id: UUID
    checkins: CheckInRecord = field(init=False)
    therapy: TherapyRecord = field(init=False)
    medication: MedicationRecord = field(init=False)
    alerts: AlertRecord = field(init=False)
    client: ClientRecord = field(init=False)

    def __post_init__(self) -> None:
        self.checkins = CheckInRecord(self.client_id)
        self.therapy = TherapyRecord(self.client_id)
        self.medication = MedicationRecord(self.client_id)
        self.alerts = AlertRecord(self.client_id)
        self.client = ClientRecord(self.client_id)

    def history(self) -> History:
        return history_of(self.checkins, self.therapy, self.medication, self.alerts, self.client)

    def apply(self, event: CareEvent) -> None:
        records = (self.checkins, self.therapy, self.medication, self.alerts, self.client)
        for record in records:
            if record.context == type(event).context:
                record.apply(event)


def decision_order(history: Iterable[Positioned]) -> list[CareEvent]:
    """Events in the order they were decided: the command bus stores each batch in the
    order its commands ran, so that is the order of positions."""
    ordered = sorted(history, key=lambda p: p.position)
    return [p.event for p in ordered]


def replay(rules: AlertRules, events: Iterable[CareEvent]) -> list[AlertRaised]:
    """The alerts ``rules`` raise over ``events`` (in decision order), in the order raised."""
    clients: dict[UUID, _Client] = {}
    raised: list[AlertRaised] = []
    for event in events:
        client = clients.get(event.client_id) or clients.setdefault(
            event.client_id, _Client(event.client_id)
        )
        if isinstance(event, AlertRaised):
            if event.rule_id == UNWITNESSED:  # raised by the clock, no event: as recorded
                client.apply(event)
                raised.append(event)
            continue
        found = evaluate(rules, client.history(), event)
        client.apply(event)
        recall = recalled(
            rules,
            client.medication,
            client.alerts.open_rules,
            event,
            rules.day_of(event.occurred_at),
        )
        found += [] if recall is None else [recall]
        for alert in found:
            client.apply(alert)
        raised.extend(found)
    return raised
