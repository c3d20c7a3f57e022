"""A FHIR export holds the client's first treatment episode as an Encounter from the
enrolment, in progress until the discharge, as it holds one a readmission began: a client
never discharged had none, so an export of a client in treatment showed no episode of care at
all, and only a discharge made one, dated back to the enrolment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from every_event import ADMIN, DOCTOR, START, Record
from fhir.resources.R4B.bundle import Bundle

from carecoord.events.care import ClientDischarged, ClientEnrolled, DischargeReason
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.export import WHOLE, ClientRecord, as_fhir
from carecoord.services.kernel.policy import Standing, decide

AT = datetime(2026, 4, 1, tzinfo=UTC)


def episodes(record: Record) -> list[dict[str, Any]]:
    grant = decide(ADMIN.role, Standing(on_care_team=True))
    made = [Positioned(n, e) for n, e in enumerate(record.events, start=1)]
    bundle = as_fhir([ClientRecord.shown(record.client_id, made, grant, ADMIN, WHOLE)], [], at=AT)
    Bundle.model_validate(bundle)
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"]


def test_the_first_episode_is_an_encounter_from_the_enrolment() -> None:
    record = Record()
    record.add(ClientEnrolled, ADMIN, display_name="Lee N.", program="North OTP")

    [begun] = episodes(record)

    assert (begun["status"], begun["period"], begun["type"]) == (
        "in-progress", {"start": START.isoformat()}, [{"text": "treatment episode"}],
    )  # fmt: skip
    assert "hospitalization" not in begun
    record.add(ClientDischarged, DOCTOR, reason=DischargeReason.TRANSFERRED, admitted_at=START)
    [ended] = episodes(record)
    assert (ended["id"], ended["status"], ended["hospitalization"]) == (
        begun["id"], "finished", {"dischargeDisposition": {"text": "transferred"}},
    )  # fmt: skip
