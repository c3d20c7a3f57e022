"""Access-log entries as FHIR R4 AuditEvent resources: the auditor's export format.

Shaped after the IHE Basic Audit Log Patterns "PatientRead" (one read of one patient's
record): https://profiles.ihe.net/ITI/BALP/ and https://hl7.org/fhir/R4/auditevent.html.
The purpose of use is the basis of the read (v3 ActReason); the entry's place in the hash
chain travels as an extension, so an exported file can be checked against ``verifyAccessLog``.
"""

from __future__ import annotations

import base64
from typing import Any

from carecoord.events.access import Basis, ClientRecordRead, ReadOutcome
from carecoord.services.infrastructure.access_log import LoggedRead

ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
CHAIN_EXTENSION = "https://carecoord.dev/fhir/StructureDefinition/access-log-chain"
USER = "https://carecoord.dev/fhir/NamingSystem/user"
"""The system of a user id wherever an export names a user (the reader here; members,
performers and authors in a record's Bundle), so a FHIR client matches them."""

# Why the reader could see the record, as a FHIR purposeOfEvent (v3 ActReason codes).
PURPOSE: dict[Basis, tuple[str, str]] = {
    Basis.CARE_TEAM: ("TREAT", "treatment"),
    Basis.CONSENT: ("TREAT", "treatment"),
    Basis.BREAK_GLASS: ("ETREAT", "emergency treatment"),
    Basis.SELF: ("PATRQT", "patient requested"),
    Basis.PROGRAM: ("HOPERAT", "healthcare operations"),
    Basis.AUDIT: ("HCOMPL", "health compliance"),
}
# AuditEvent.outcome: 0 success; 4 minor failure (the read was refused, nothing shown).
OUTCOME = {ReadOutcome.GRANTED: "0", ReadOutcome.REFUSED: "4"}


def audit_event(logged: LoggedRead) -> dict[str, Any]:
    entry = logged.entry
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(entry.event_id),
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation",
        },
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read"}],
        "action": "R",
        "recorded": entry.occurred_at.isoformat(),
        "outcome": OUTCOME[entry.outcome],
        "agent": [
            {
                "who": {"identifier": {"system": USER, "value": entry.actor.id}},
                "role": [{"text": entry.actor.role.value}],
                "requestor": True,
                "policy": [entry.policy_version],
            }
        ],
        "source": {"observer": {"display": "carecoord"}},
        "entity": _entities(entry),
        "extension": [_chain(logged)],
    }
    if entry.refusal:
        resource["outcomeDesc"] = entry.refusal
    if entry.basis in PURPOSE:
        code, display = PURPOSE[entry.basis]
        resource["purposeOfEvent"] = [
            {"coding": [{"system": ACT_REASON, "code": code, "display": display}]}
        ]
    return resource


def _entities(entry: ClientRecordRead) -> list[dict[str, Any]]:
    details = [
        ("operation", entry.operation),
        ("kindsGranted", ",".join(entry.kinds_granted)),
        ("kindsReturned", ",".join(entry.kinds_returned)),
        ("entriesReturned", str(entry.entries_returned)),
        ("correlationId", str(entry.correlation_id)),
    ]
    if entry.break_glass_id is not None:
        details.append(("breakGlassId", str(entry.break_glass_id)))
    patient = {
        "what": {"reference": f"Patient/{entry.client_id}"},
        "role": {
            "system": "http://terminology.hl7.org/CodeSystem/object-role",
            "code": "1",
            "display": "Patient",
        },
        # FHIR strings are never empty: a read that granted or returned no kind says so by
        # leaving the detail out.
        "detail": [{"type": t, "valueString": v} for t, v in details if v],
    }
    consents = [{"what": {"reference": f"Consent/{c}"}} for c in entry.consent_ids]
    return [patient, *consents]


FHIR_INTEGER_MAX = 2**31 - 1
"""The greatest FHIR ``integer`` (32 bits); the log's seqs are a bigint's and pass it."""


def _chain(logged: LoggedRead) -> dict[str, Any]:
    """The entry's seq and hash; a seq past ``FHIR_INTEGER_MAX`` as a ``valueDecimal`` (FHIR
    R4 has no 64-bit integer), which an ``integer`` could not hold as valid FHIR, while every
    seq before it stays the ``valueInteger`` the exports made so far hold."""
    kind = "valueInteger" if logged.seq <= FHIR_INTEGER_MAX else "valueDecimal"
    parts: list[dict[str, Any]] = [{"url": "seq", kind: logged.seq}]
    if logged.hash is not None:
        parts.append({"url": "hash", "valueBase64Binary": base64.b64encode(logged.hash).decode()})
    return {"url": CHAIN_EXTENSION, "extension": parts}
