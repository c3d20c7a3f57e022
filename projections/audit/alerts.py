"""Clinical alerts as FHIR R4 DetectedIssue: the rule and its version as the code, the events
that triggered it as evidence, and the care team's acknowledgement and resolution as
mitigations."""

from __future__ import annotations

from typing import Any

from carecoord.events.alerts import AlertAcknowledged, AlertRaised, AlertResolved
from carecoord.projections.audit.fhir import (
    BASE,
    MASKED,
    Resources,
    event_reference,
    handlers,
    instant,
    party,
    patient,
    rule,
)

RESPONSE = f"{BASE}/CodeSystem/alert-response"


def raised(res: Resources, event: AlertRaised) -> None:
    res.new(
        event,
        {
            "resourceType": "DetectedIssue",
            "id": str(event.alert_id),
            "status": "final",
            "code": {"coding": [rule(event.rule_id, event.rule_version)], "text": event.title},
            "severity": event.severity.value,
            "patient": patient(event),
            "identifiedDateTime": instant(event.occurred_at),
            "author": party(event.actor),
            "evidence": [{"detail": [event_reference(e) for e in event.evidence]}],
            "detail": f"{event.detail} Recommended: {event.action}"
            if event.action
            else event.detail,
        },
    )


def responded(res: Resources, event: AlertAcknowledged | AlertResolved) -> None:
    issue = res.change(event, "DetectedIssue", event.alert_id)
    if issue is None:
        return
    response = "acknowledged" if isinstance(event, AlertAcknowledged) else "resolved"
    action: dict[str, Any] = {"coding": [{"system": RESPONSE, "code": response}]}
    if event.note:
        action["text"] = event.note
    elif res.masked(event, "note"):
        action["_text"] = {"extension": [MASKED]}
    issue.setdefault("mitigation", []).append(
        {"action": action, "date": instant(event.occurred_at), "author": party(event.actor)}
    )


HANDLERS = handlers(raised, responded)
