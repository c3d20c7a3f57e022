"""Facts about clinical alerts: a rule fired on a client's record, and what the care team did.

FHIR mapping: an alert is a DetectedIssue (``severity``, ``evidence`` = the events that
triggered it, ``mitigation`` = acknowledgement and resolution notes) or a Flag. An alert
names its rule and the rule's version, so a replay shows why it fired; its
``causation_id`` is the event that triggered it.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from carecoord.events.envelope import CareEvent, Kind
from carecoord.events.medication import Severity


class _Alert(CareEvent):
    context: ClassVar[str] = "alerts"
    type_kind: ClassVar[Kind] = Kind.ALERT

    alert_id: UUID
    rule_id: str = Field(min_length=1, max_length=100)


class AlertRaised(_Alert):
    summary_template: ClassVar[str] = "Alert ({severity}): {title}: {detail}"

    rule_version: str = Field(min_length=1, max_length=40)
    severity: Severity
    title: str = Field(min_length=1, max_length=200)
    detail: str = Field(max_length=500)
    """What the evidence showed, in numbers (a score, an interval); never free text."""
    action: str = Field(max_length=500)
    """The typical response the rule's source recommends."""
    evidence: tuple[UUID, ...] = Field(min_length=1)
    """Event ids of what triggered it, the newest last."""


class AlertAcknowledged(_Alert):
    summary_template: ClassVar[str] = "Alert acknowledged ({rule_id})"
    free_text: ClassVar[tuple[str, ...]] = ("note",)

    note: str = Field(min_length=1, max_length=2000)


class AlertResolved(_Alert):
    summary_template: ClassVar[str] = "Alert resolved ({rule_id})"
    free_text: ClassVar[tuple[str, ...]] = ("note",)

    note: str = Field(min_length=1, max_length=2000)


ALERT_EVENTS: tuple[type[CareEvent], ...] = (AlertRaised, AlertAcknowledged, AlertResolved)
