"""The alert record aggregate: one client's alerts, open or resolved, with their history.

Alerts are raised by the rules (``evaluation.py``) inside the command that recorded the
triggering event; the care team acknowledges and resolves them here. Acknowledging means
"seen, acting on it": the alert stays open until it is resolved. Each step is dated after the
alert was raised and no later than now (``clinical_time.plausible``; one dated within the
clock tolerance ahead counts from its recording), and a resolution not before the
acknowledgement it follows: the history would show it resolved before anyone saw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.alerts import AlertAcknowledged, AlertRaised, AlertResolved
from carecoord.events.bounds import said
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.clinical_time import plausible
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(slots=True)
class Alert:
    rule_id: str
    raised_at: datetime
    evidence: tuple[UUID, ...] = ()
    status: Status = Status.OPEN
    acknowledged_at: datetime | None = None


class AlertRecord(Aggregate, context="alerts"):
    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.alerts: dict[UUID, Alert] = {}

    @property
    def open_rules(self) -> frozenset[str]:
        return frozenset(a.rule_id for a in self.alerts.values() if a.status is not Status.RESOLVED)

    @property
    def alerted_on(self) -> dict[UUID, frozenset[str]]:
        """By event id, the rules that raised an alert (open or not) with it in evidence."""
        found: dict[UUID, set[str]] = {}
        for alert in self.alerts.values():
            for event_id in alert.evidence:
                found.setdefault(event_id, set()).add(alert.rule_id)
        return {event_id: frozenset(rules) for event_id, rules in found.items()}

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, AlertRaised):
            self.alerts[event.alert_id] = Alert(event.rule_id, event.occurred_at, event.evidence)
        elif isinstance(event, AlertAcknowledged):
            acknowledged = self.alerts[event.alert_id]
            acknowledged.status = Status.ACKNOWLEDGED
            acknowledged.acknowledged_at = event.occurred_at
        elif isinstance(event, AlertResolved):
            self.alerts[event.alert_id].status = Status.RESOLVED

    def raise_alert(self, event: AlertRaised) -> None:
        """Record an alert the rules produced (complete and deterministic, see evaluation)."""
        assert event.client_id == self.client_id
        self.record(event)

    def acknowledge(
        self, stamp: Stamp, alert_id: UUID, note: str, occurred_at: datetime | None
    ) -> None:
        alert = self._alert(alert_id)
        if alert.status is not Status.OPEN:
            raise RuleViolation(
                "alertId",
                "alert-not-open",
                f"alert {alert_id} is {alert.status.value}; only an open alert is acknowledged",
            )
        self._close_step(AlertAcknowledged, stamp, alert_id, alert, note, occurred_at)

    def resolve(
        self, stamp: Stamp, alert_id: UUID, note: str, occurred_at: datetime | None
    ) -> None:
        alert = self._alert(alert_id)
        if alert.status is Status.RESOLVED:
            raise RuleViolation(
                "alertId", "alert-resolved", f"alert {alert_id} is already resolved"
            )
        self._close_step(AlertResolved, stamp, alert_id, alert, note, occurred_at)

    def _close_step(
        self,
        cls: type[AlertAcknowledged | AlertResolved],
        stamp: Stamp,
        alert_id: UUID,
        alert: Alert,
        note: str,
        occurred_at: datetime | None,
    ) -> None:
        note = said(note)
        if not note:
            raise InvalidInput("note", "note-required", "say what was done (a note is required)")
        if occurred_at is not None:
            now = stamp.clock()
            plausible("occurredAt", occurred_at, now=now, enrolled_at=None)
            if occurred_at < alert.raised_at:
                raise InvalidInput(
                    "occurredAt",
                    "after-alert-raised",
                    f"alert {alert_id} was raised {alert.raised_at.isoformat()};"
                    " nothing is done about it before",
                )
            if alert.acknowledged_at is not None and occurred_at < alert.acknowledged_at:
                raise InvalidInput(
                    "occurredAt",
                    "after-acknowledged",
                    f"alert {alert_id} was acknowledged {alert.acknowledged_at.isoformat()};"
                    " it is resolved after that, not before",
                )
            # Dated a little ahead (a workstation clock running fast), it counts from its
            # recording, as a care-team change does: a colleague's resolution at the right
            # time would otherwise read as before the acknowledgement.
            occurred_at = max(min(occurred_at, now), alert.acknowledged_at or alert.raised_at)
        self.record(
            stamp.event(
                cls,
                self.client_id,
                occurred_at,
                alert_id=alert_id,
                rule_id=alert.rule_id,
                note=note,
            )
        )

    def _alert(self, alert_id: UUID) -> Alert:
        found = self.alerts.get(alert_id)
        if found is None:
            raise NotFound("alertId", "unknown-alert", f"the client has no alert {alert_id}")
        return found
