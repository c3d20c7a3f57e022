"""A program admin's JSON Lines export withholds free text as the timeline does: the
prescriber's reason for a level of care and the nurse's for revoking a consent read null,
each line naming them in its `withheld`, while the admin's own reason for ending a
membership is shown; the auditor's export carries every event whole, each line the
broker's body. Before, the admin's export carried the clinicians' reasons in clear."""

from __future__ import annotations

import json
from typing import Any

import pytest
from medication_steps import NURSE, Clinic, mutation
from test_access import END, REVOKE, consent_to_organization

from carecoord.events import Role, catalog
from support import Api

pytestmark = pytest.mark.shared_platform

EXPORT = """query($id: UUID!) {
  exportClientRecord(clientId: $id, format: JSONL) { jsonLines } }"""
FHIR = """query($id: UUID!) {
  exportClientRecord(clientId: $id, format: FHIR) { bundle } }"""
LEVEL = mutation("ChangeLevelOfCareInput", "changeLevelOfCare")
LEVELLED = "relapse on fentanyl; methadone raised to 90 mg"
REVOKED = "client asked after her methadone dose was raised"
LEFT = "moved to the evening clinic"


async def exported(clinic: Clinic, role: Role, user: str) -> list[dict[str, Any]]:
    data = await clinic.api.ok(EXPORT, {"id": clinic.client_id}, role=role, user=user)
    return [json.loads(line) for line in data["exportClientRecord"]["jsonLines"].splitlines()]


def reasons(lines: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    return [(e["type"], e["reason"], e.get("withheld")) for e in lines if "reason" in e]


async def test_an_admins_export_withholds_the_reasons_clinicians_wrote(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Yara E.")
    await clinic.doctor(LEVEL, level="INTENSIVE_OUTPATIENT", asamLevel="2.1", reason=LEVELLED)
    consent_id = await consent_to_organization(
        api, clinic.client_id, "county-court", ["DOSING"],
        signed_by="Yara E.", purpose="drug court reporting",
    )  # fmt: skip
    revoke = {"clientId": clinic.client_id, "consentId": consent_id, "reason": REVOKED}
    await api.ok(REVOKE, {"input": revoke}, role=Role.NURSE, user=NURSE)
    end = {"clientId": clinic.client_id, "memberId": NURSE, "reason": LEFT}
    await api.ok(END, {"input": end}, role=Role.PROGRAM_ADMIN, user="admin-export")

    admin = await exported(clinic, Role.PROGRAM_ADMIN, "admin-export")
    assert reasons(admin) == [
        ("care.LevelOfCareChanged", None, ["reason"]),
        ("consent.ConsentRevoked", None, ["reason"]),
        ("careteam.CareTeamMemberEnded", LEFT, None),
    ]
    bundle = await api.ok(FHIR, {"id": clinic.client_id}, role=Role.PROGRAM_ADMIN, user="adm")
    told = json.dumps(bundle)
    assert [r for r in (LEVELLED, REVOKED) if r in told] == []  # nor in the admin's Bundle
    audited = await exported(clinic, Role.AUDITOR, "auditor-export")
    assert reasons(audited) == [
        ("care.LevelOfCareChanged", LEVELLED, None),
        ("consent.ConsentRevoked", REVOKED, None),
        ("careteam.CareTeamMemberEnded", LEFT, None),
    ]
    for line in audited:  # whole events, as the broker carries them, for replay
        position = line.pop("position")
        assert position > 0
        assert catalog.decode(line["type"], json.dumps(line).encode()).type == line["type"]
