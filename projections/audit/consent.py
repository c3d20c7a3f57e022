"""Consents and access as FHIR R4: Consent (42 CFR Part 2), and AuditEvent for an emergency
access (break-glass) and for a disclosure to an outside recipient. The forwarder's intent
to disclose makes the disclosure's AuditEvent without an outcome; recording it sent sets
outcome 0, withdrawing it outcome 4 with the reason.

Reads of the record are not events of the store; they are the access log, exported as
AuditEvent by ``services/infrastructure/audit_events.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carecoord.events.access import (
    Basis,
    BreakGlassUsed,
    DisclosureIntended,
    DisclosureRecorded,
    DisclosureWithdrawn,
)
from carecoord.events.consent import (
    ConsentExpired,
    ConsentRecorded,
    ConsentRevoked,
    Recipient,
    RecipientType,
)
from carecoord.projections.audit.fhir import (
    ACT_CODE,
    BASE,
    LOINC,
    MASKED,
    Resource,
    Resources,
    day,
    handlers,
    instant,
    kinds,
    member,
    party,
    patient,
    reference,
    text,
)
from carecoord.services.consent.notice import version_of
from carecoord.services.infrastructure.audit_events import ACT_REASON, PURPOSE

PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
ORGANIZATION = f"{BASE}/NamingSystem/organization"
EXPIRY_EVENT = f"{BASE}/StructureDefinition/consent-expiry-event"
EXPIRES_ON = f"{BASE}/StructureDefinition/consent-expires-on"
NOTICE_VERSION_EXTENSION = f"{BASE}/StructureDefinition/notice-version"
"""The version of the 42 CFR 2.32 notice a disclosure went with (``notice.NOTICES``), on its
``notice`` detail: texts that differ by a condition are told apart by it."""
RECIPIENT_ROLE = {"coding": [{"system": PARTICIPATION, "code": "IRCP"}]}


def recipient(found: Recipient) -> dict[str, Any]:
    if found.type is RecipientType.MEMBER:
        return member(found.id)
    named: dict[str, Any] = {"identifier": {"system": ORGANIZATION, "value": found.id}}
    if found.name:
        named["display"] = found.name
    return named


def consent_recorded(res: Resources, event: ConsentRecorded) -> None:
    period = {"start": instant(event.occurred_at)}
    if event.expires_at is not None:
        period["end"] = instant(event.expires_at)
    consent: Resource = {
        "resourceType": "Consent",
        "id": str(event.consent_id),
        "status": "active",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": LOINC, "code": "59284-0"}], "text": "42 CFR Part 2"}],
        "patient": patient(event),
        "dateTime": day(event.signed_on),
        "performer": [{"display": event.signed_by}],
        "policyRule": {"coding": [{"system": ACT_CODE, "code": "42CFRPart2"}]},
        "provision": {
            "type": "permit",
            "period": period,
            "actor": [
                {"role": RECIPIENT_ROLE, "reference": recipient(r)} for r in event.recipients
            ],
            "purpose": [{"display": event.purpose}],
            "code": kinds(event.data_kinds),
        },
    }
    extensions = []
    if event.expiry_event:
        extensions.append({"url": EXPIRY_EVENT, "valueString": event.expiry_event})
    if event.expires_on is not None:
        extensions.append({"url": EXPIRES_ON, "valueCode": event.expires_on.value})
    if extensions:
        consent["extension"] = extensions
    res.new(event, consent)


def consent_revoked(res: Resources, event: ConsentRevoked | ConsentExpired) -> None:
    """Revoked, or expired on the event it was given until (the client's discharge): inactive
    from then, its period ending then unless its date came first."""
    consent = res.change(event, "Consent", event.consent_id)
    if consent is None:
        return
    consent["status"] = "inactive"
    period = consent["provision"]["period"]
    if "end" not in period or event.occurred_at < datetime.fromisoformat(period["end"]):
        period["end"] = instant(event.occurred_at)


def lapse(res: Resources, at: datetime) -> None:
    """A consent whose term ended by ``at`` is ``inactive`` at ``at``: no event says it ran
    out (its end is the consent's own expiresAt), so it read ``active`` until a later event
    touched it."""
    for consent in res.of_type("Consent"):
        end = consent["provision"]["period"].get("end")
        if consent["status"] == "active" and end and datetime.fromisoformat(end) <= at:
            consent["status"] = "inactive"
            res.lapsed(consent, datetime.fromisoformat(end))


def _patient_entity(
    event: BreakGlassUsed | DisclosureIntended | DisclosureRecorded,
    description: str,
    *,
    masked: bool = False,
) -> Resource:
    """The client the event is about; its ``description`` the data-absent-reason ``masked``
    where the export withheld it (an emergency's reason from a reader not shown it)."""
    entity: Resource = {
        "what": patient(event),
        "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"},
    }
    if description:
        entity["description"] = description
    elif masked:
        entity["_description"] = {"extension": [MASKED]}
    return entity


def broke_glass(res: Resources, event: BreakGlassUsed) -> None:
    code, display = PURPOSE[Basis.BREAK_GLASS]
    res.new(
        event,
        {
            "resourceType": "AuditEvent",
            "id": str(event.access_id),
            "type": {"system": DICOM, "code": "110113", "display": "Security Alert"},
            "subtype": [{"system": f"{BASE}/CodeSystem/access", "code": "break-glass"}],
            "action": "E",
            "period": {"start": instant(event.occurred_at), "end": instant(event.expires_at)},
            "recorded": instant(event.recorded_at),
            "outcome": "0",
            "purposeOfEvent": [
                {"coding": [{"system": ACT_REASON, "code": code, "display": display}]}
            ],
            "agent": [
                {
                    "who": member(event.member_id, event.role.value),
                    "role": [text(event.role.value)],
                    "requestor": True,
                    "policy": [event.policy_version],
                }
            ],
            "source": {"observer": {"display": "carecoord"}},
            "entity": [_patient_entity(event, event.reason, masked=res.masked(event, "reason"))],
        },
    )


def disclosed(res: Resources, event: DisclosureIntended | DisclosureRecorded) -> None:
    intended = res.change(event, "AuditEvent", event.disclosure_id)
    if isinstance(event, DisclosureRecorded) and intended is not None:
        intended["outcome"] = "0"
        intended["recorded"] = instant(event.recorded_at)
        del intended["outcomeDesc"]
        return
    entities = [_patient_entity(event, event.description)]
    version = {"url": NOTICE_VERSION_EXTENSION, "valueString": version_of(event.notice)}
    entities[0]["detail"] = [
        {"type": "purpose", "valueString": event.purpose},
        {"type": "kinds", "valueString": ",".join(event.data_kinds)},
        {"type": "notice", "valueString": event.notice, "extension": [version]},
    ]
    if event.consent_id is not None:
        entities.append({"what": reference("Consent", event.consent_id)})
    if isinstance(event, DisclosureRecorded) and event.break_glass_id is not None:
        entities.append({"what": reference("AuditEvent", event.break_glass_id)})
    outcome = (
        {"outcome": "0"}
        if isinstance(event, DisclosureRecorded)
        else {"outcomeDesc": "intended; not recorded as sent"}
    )
    res.new(
        event,
        {
            "resourceType": "AuditEvent",
            "id": str(event.disclosure_id),
            "type": {"system": DICOM, "code": "110106", "display": "Export"},
            "action": "R",
            "recorded": instant(event.recorded_at),
            **outcome,
            "agent": [
                {"who": party(event.actor), "requestor": True},
                {
                    "who": recipient(event.recipient),
                    "type": RECIPIENT_ROLE,
                    "requestor": False,
                },
            ],
            "source": {"observer": {"display": "carecoord"}},
            "entity": entities,
        },
    )


WITHDRAWN_UNKNOWN = (
    "not sent after that; whether a run stopped between publishing and recording sent it"
    " before is not known"
)
"""A withdrawn intent was interrupted: the forwarder cannot know whether it published first."""


def withdrawn(res: Resources, event: DisclosureWithdrawn) -> None:
    intended = res.change(event, "AuditEvent", event.disclosure_id)
    if intended is not None:
        intended["outcome"] = "4"
        intended["outcomeDesc"] = f"withdrawn: {event.reason}; {WITHDRAWN_UNKNOWN}"


HANDLERS = handlers(consent_recorded, consent_revoked, broke_glass, disclosed, withdrawn)
