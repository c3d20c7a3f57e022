"""A FHIR export carries the 42 CFR Part 2 labels on its Bundle: restricted, substance-use
information, not to be disclosed further without consent. Only an SUD counseling note's
DocumentReference was labelled, and a Bundle of doses, screens and check-ins written to a
file read as an unmarked record once it left the program."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from every_event import ADMIN, Record
from fhir.resources.R4B.bundle import Bundle

from carecoord.events import Actor, Role
from carecoord.events.care import ClientEnrolled
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.export import WHOLE, ClientRecord, as_fhir
from carecoord.services.kernel.policy import Standing, decide

AUDITOR = Actor(id="auditor-1", role=Role.AUDITOR)
AT = datetime(2026, 4, 1, tzinfo=UTC)
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
PART_2 = {
    (CONFIDENTIALITY, "R"),
    (ACT_CODE, "ETH"),
    (ACT_CODE, "42CFRPart2"),
    (ACT_CODE, "NORDSCLCD"),
}


def enrolled() -> ClientRecord:
    r = Record()
    r.add(ClientEnrolled, ADMIN, display_name="Jo R.", program="North OTP")
    history = [Positioned(n, e) for n, e in enumerate(r.events, start=1)]
    return ClientRecord.shown(
        r.client_id, history, decide(AUDITOR.role, Standing()), AUDITOR, WHOLE
    )


def labels(bundle: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in bundle.get("meta", {}).get("security", [])}


def test_an_exported_bundle_is_labelled_part_2_restricted_and_not_to_be_redisclosed() -> None:
    bundle = as_fhir([enrolled()], [], at=AT)

    Bundle.model_validate(bundle)
    assert labels(bundle) >= PART_2


def test_one_bundles_labels_are_its_own() -> None:
    as_fhir([], [], at=AT)["meta"]["security"].clear()

    assert labels(as_fhir([enrolled()], [], at=AT)) >= PART_2
