"""An export of disclosures names the version of the 42 CFR 2.32 notice each went with, as the
forwarder's Carecoord-Notice-Version header does: the FHIR AuditEvent on its ``notice``
detail, a JSON line beside the position. Both carried the text alone, and an auditor told a
disclosure under 2.32-2024 from one under 2.32-2024.2 only by finding the clause between them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from uuid import uuid4

from every_event import ADMIN, Record
from fhir.resources.R4B.bundle import Bundle

from carecoord.events import Actor, Kind, Role, catalog
from carecoord.events.access import DisclosureIntended, DisclosureRecorded
from carecoord.events.care import ClientEnrolled
from carecoord.events.consent import ConsentRecorded, Recipient, RecipientType
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.consent import NOTICE_VERSION_EXTENSION
from carecoord.projections.audit.export import WHOLE, ClientRecord, as_fhir, as_jsonl
from carecoord.services.consent.notice import NOTICES, UNLISTED
from carecoord.services.kernel.policy import Standing, decide

AUDITOR = Actor(id="auditor-1", role=Role.AUDITOR)
FORWARDER = Actor(id="disclose-clinic_north", role=Role.SYSTEM)
AT = datetime(2026, 4, 1, tzinfo=UTC)
CLINIC = Recipient(type=RecipientType.ORGANIZATION, id="clinic_north", name="North Clinic")


def disclosures() -> ClientRecord:
    """One disclosure under each notice and one whose text no version holds."""
    r = Record()
    r.add(ClientEnrolled, ADMIN, display_name="Jo R.", program="North OTP")
    consent = r.add(
        ConsentRecorded, ADMIN, consent_id=uuid4(), recipients=(CLINIC,),
        purpose="coordination", data_kinds=(Kind.MEDICATION,), signed_on=date(2026, 1, 5),
        signed_by="Jo R.",
    )  # fmt: skip
    terms = {"recipient": CLINIC, "purpose": "coordination", "data_kinds": (Kind.MEDICATION,),
             "description": "2 orders", "consent_id": consent.consent_id}  # fmt: skip
    r.add(DisclosureRecorded, ADMIN, disclosure_id=uuid4(), notice=NOTICES["2.32-2024"], **terms)
    intent = r.add(
        DisclosureIntended, FORWARDER, disclosure_id=uuid4(), notice=NOTICES["2.32-2024.2"],
        event_ids=(r.events[0].event_id,), positions=(1,), **terms,
    )  # fmt: skip
    r.add(DisclosureRecorded, FORWARDER, disclosure_id=intent.disclosure_id,
          notice=intent.notice, event_ids=intent.event_ids, **terms)  # fmt: skip
    r.add(DisclosureRecorded, ADMIN, disclosure_id=uuid4(), notice="faxed with a cover", **terms)
    history = [Positioned(n, e) for n, e in enumerate(r.events, start=1)]
    grant = decide(AUDITOR.role, Standing())
    return ClientRecord.shown(r.client_id, history, grant, AUDITOR, WHOLE)


def test_a_disclosures_audit_event_names_its_notices_version() -> None:
    bundle = as_fhir([disclosures()], [], at=AT)
    Bundle.model_validate(bundle)

    found = []
    for resource in (entry["resource"] for entry in bundle["entry"]):
        if resource["resourceType"] == "AuditEvent":
            [notice] = [d for d in resource["entity"][0]["detail"] if d["type"] == "notice"]
            [version] = notice["extension"]
            assert version["url"] == NOTICE_VERSION_EXTENSION
            found.append((version["valueString"], notice["valueString"]))
    assert found == [
        ("2.32-2024", NOTICES["2.32-2024"]),
        ("2.32-2024.2", NOTICES["2.32-2024.2"]),
        (UNLISTED, "faxed with a cover"),
    ]


def test_a_disclosures_json_line_names_its_notices_version_and_decodes_as_before() -> None:
    record = disclosures()
    lines = [json.loads(text) for text in as_jsonl([record]).splitlines()]

    assert [(line["type"], line.get("notice_version")) for line in lines] == [
        ("care.ClientEnrolled", None),
        ("consent.ConsentRecorded", None),
        ("access.DisclosureRecorded", "2.32-2024"),
        ("access.DisclosureIntended", "2.32-2024.2"),
        ("access.DisclosureRecorded", "2.32-2024.2"),
        ("access.DisclosureRecorded", UNLISTED),
    ]
    assert list(lines[2])[:2] == ["position", "notice_version"]
    for line, item in zip(lines, record.events, strict=True):
        assert line.pop("position") == item.position
        assert catalog.decode(line["type"], json.dumps(line).encode()) == item.event
