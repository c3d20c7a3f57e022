"""A read that returned nothing is logged as returning no kind: ``consents``,
``disclosures`` and ``clientMedications`` of a client with none logged the kind they ask
for as returned (``kindsReturned: ["consent"]`` beside ``entriesReturned: 0``), so an
auditor counting who was shown a client's consents or orders counted reads that showed
none. ``clientDosing`` still logs ``dosing``: its totals (first dose day, take-home supply)
are shown whatever its range holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_access import CONSENT, access_log, enroll

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

CONSENTS = "query($id: UUID!) { consents(clientId: $id) { consentId } }"
CONSENTS_AT = """query($id: UUID!, $at: Seq) {
  consents(clientId: $id, atLeast: $at) { consentId } }"""
DISCLOSURES = "query($id: UUID!) { disclosures(clientId: $id) { disclosureId } }"
MEDICATIONS = "query($id: UUID!) { clientMedications(clientId: $id) { orders { id } } }"
DOSING = "query($id: UUID!) { clientDosing(clientId: $id) { given entries { status } } }"


def logged(entries: list[dict[str, object]], operation: str) -> list[tuple[object, object]]:
    return [
        (e["kindsReturned"], e["entriesReturned"])
        for e in entries
        if e["operation"] == operation and e["outcome"] == "GRANTED"
    ]


async def test_a_read_returning_nothing_logs_no_kind_returned(api: Api) -> None:
    client = await enroll(api, "Lee M.")
    await api.join_care_team(client, Role.NURSE, "nurse-empty")
    nurse = {"role": Role.NURSE, "user": "nurse-empty"}

    none_yet = await api.ok(CONSENTS, {"id": client}, **nurse)
    await api.ok(MEDICATIONS, {"id": client}, **nurse)
    await api.ok(DOSING, {"id": client}, **nurse)
    await api.ok(DISCLOSURES, {"id": client}, role=Role.PROGRAM_ADMIN)
    recorded = await api.ok(
        CONSENT,
        {"input": {"clientId": client, "purpose": "coordination", "dataKinds": ["CARE"],
                   "recipients": [{"type": "ORGANIZATION", "id": "clinic-e", "name": "E"}],
                   "signedOn": str(datetime.now(UTC).date()), "signedBy": "Lee M.",
                   "expiryEvent": "end of treatment"}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    at = recorded["recordConsent"]["position"]
    one = await api.ok(CONSENTS_AT, {"id": client, "at": at}, **nurse)

    entries = await access_log(api, client)
    assert none_yet["consents"] == []
    assert len(one["consents"]) == 1
    assert logged(entries, "consents") == [([], 0), (["consent"], 1)]
    assert logged(entries, "clientMedications") == [([], 0)]
    assert logged(entries, "disclosures") == [([], 0)]
    assert logged(entries, "clientDosing") == [(["dosing"], 0)]
