"""Exports of a client's record: every stored event type maps to FHIR R4, and the Bundle is
checked by an independent validator (fhir.resources; its R4B models, which this package
ships in place of R4: the resources used here are the same in both), with statuses from the
R4 value sets and every reference resolving inside the Bundle. JSON Lines are the broker's
bodies with their positions; a reader's grant and a period decide what goes in."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from every_event import ADMIN, DOCTOR, NURSE, START, THERAPIST, Record, every_event
from fhir.resources.R4B.bundle import Bundle
from program_days import PARTED, parted

from carecoord.events import Actor, Kind, Role, catalog
from carecoord.events.access import Basis, ClientRecordRead, ReadOutcome
from carecoord.events.care import (
    ClientDischarged,
    ClientEnrolled,
    DischargeEnteredInError,
    DischargeReason,
    GoalAchievement,
    GoalProgressRecorded,
    LevelOfCare,
    LevelOfCareChanged,
    TreatmentGoalSet,
)
from carecoord.events.checkins import CheckInRecorded
from carecoord.events.consent import ConsentRecorded, Recipient, RecipientType
from carecoord.events.medication import (
    DoseChanged,
    InteractionFound,
    MedicationStatementEnded,
    MedicationStatementRecorded,
    OverrideAcknowledged,
    StatementSource,
)
from carecoord.events.positioned import Positioned
from carecoord.events.stock import STOCK_EVENTS
from carecoord.events.therapy import (
    CALENDAR_EVENTS,
    PROGRAM_EVENTS,
    Modality,
    SessionAttended,
    SessionFormat,
    SessionNoShow,
    SessionOutcome,
    SessionOutcomeCorrected,
    SessionScheduled,
)
from carecoord.events.users import USER_EVENTS
from carecoord.projections.audit.bundle import HANDLERS
from carecoord.projections.audit.care import episode_id
from carecoord.projections.audit.consent import EXPIRES_ON
from carecoord.projections.audit.export import WHOLE, ClientRecord, Period, as_fhir, as_jsonl
from carecoord.projections.audit.fhir import DATA_ABSENT
from carecoord.services.infrastructure.access_log import LoggedRead
from carecoord.services.kernel.policy import POLICY_VERSION, Standing, decide

AUDITOR = Actor(id="auditor-1", role=Role.AUDITOR)
AT = datetime(2026, 4, 1, tzinfo=UTC)

# The R4 value sets of each resource's status (https://hl7.org/fhir/R4/), which the validator
# leaves to profiles.
STATUSES: dict[str, tuple[str, set[str]]] = {
    "MedicationRequest": ("status", {"active", "on-hold", "cancelled", "completed",
                                     "entered-in-error", "stopped", "draft", "unknown"}),
    "MedicationAdministration": ("status", {"in-progress", "not-done", "on-hold", "completed",
                                            "entered-in-error", "stopped", "unknown"}),
    "MedicationDispense": ("status", {"preparation", "in-progress", "cancelled", "on-hold",
                                      "completed", "entered-in-error", "stopped", "declined",
                                      "unknown"}),
    "MedicationStatement": ("status", {"active", "completed", "entered-in-error", "intended",
                                       "stopped", "on-hold", "unknown", "not-taken"}),
    "Observation": ("status", {"registered", "preliminary", "final", "amended", "corrected",
                               "cancelled", "entered-in-error", "unknown"}),
    "DetectedIssue": ("status", {"registered", "preliminary", "final", "amended", "corrected",
                                 "cancelled", "entered-in-error", "unknown"}),
    "Encounter": ("status", {"planned", "arrived", "triaged", "in-progress", "onleave",
                             "finished", "cancelled", "entered-in-error", "unknown"}),
    "EpisodeOfCare": ("status", {"planned", "waitlist", "active", "onhold", "finished",
                                 "cancelled", "entered-in-error"}),
    "CarePlan": ("status", {"draft", "active", "on-hold", "revoked", "completed",
                            "entered-in-error", "unknown"}),
    "Goal": ("lifecycleStatus", {"proposed", "planned", "accepted", "active", "on-hold",
                                 "completed", "cancelled", "entered-in-error", "rejected"}),
    "CareTeam": ("status", {"proposed", "active", "suspended", "inactive", "entered-in-error"}),
    "Consent": ("status", {"draft", "proposed", "active", "rejected", "inactive",
                           "entered-in-error"}),
    "Flag": ("status", {"active", "inactive", "entered-in-error"}),
    "DocumentReference": ("status", {"current", "superseded", "entered-in-error"}),
}  # fmt: skip


def positioned(events: list[Any]) -> list[Positioned]:
    return [Positioned(n, e) for n, e in enumerate(events, start=1)]


def record_for(reader: Actor, period: Period = WHOLE) -> ClientRecord:
    made = every_event()
    grant = decide(reader.role, Standing(on_care_team=True))
    return ClientRecord.shown(made.client_id, positioned(made.events), grant, reader, period)


def episode_of(record: Record) -> str:
    """The id of the Encounter of the treatment episode its enrolment began."""
    return episode_id(record.events[0], record.events[0].occurred_at)


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle.get("entry", [])]  # none: no entry


def by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in entries(bundle) if r["resourceType"] == kind]


def references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for v in value.values() for ref in references(v)]
    if isinstance(value, list):
        return [ref for v in value for ref in references(v)]
    return []


def a_read(client_id: Any) -> LoggedRead:
    entry = ClientRecordRead(
        event_id=uuid4(), client_id=client_id, occurred_at=AT, recorded_at=AT, actor=NURSE,
        correlation_id=uuid4(), operation="clientTimeline", outcome=ReadOutcome.GRANTED,
        basis=Basis.CARE_TEAM, kinds_granted=(Kind.CARE,), kinds_returned=(Kind.CARE,),
        entries_returned=3, policy_version=POLICY_VERSION,
    )  # fmt: skip
    return LoggedRead(7, entry, b"\x01" * 32)


def test_every_event_type_of_a_clients_record_has_a_fhir_mapping() -> None:
    # The access log is kept apart; a site's stock, a clinician's calendar, a program's
    # closures and a user's access are no client's record.
    excluded = {ClientRecordRead, *STOCK_EVENTS, *CALENDAR_EVENTS, *PROGRAM_EVENTS, *USER_EVENTS}
    stored = set(catalog.event_types()) - excluded
    assert stored == set(HANDLERS)
    assert stored == {type(e) for e in every_event().events}


def test_a_whole_record_is_a_valid_r4_bundle_whose_references_resolve() -> None:
    record = record_for(DOCTOR)
    bundle = as_fhir([record], [a_read(record.client_id)], at=AT)

    Bundle.model_validate(bundle)  # raises on any structural error
    made = {f"{r['resourceType']}/{r['id']}" for r in entries(bundle)}
    assert len(made) == len(bundle["entry"])
    dangling = {ref for ref in references(bundle) if not ref.startswith("#")} - made
    assert not dangling
    for resource in entries(bundle):
        if resource["resourceType"] in STATUSES:
            field, allowed = STATUSES[resource["resourceType"]]
            assert resource[field] in allowed, resource
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", resource["id"])
    kinds = {r["resourceType"] for r in entries(bundle)}
    assert kinds >= {
        "Patient", "EpisodeOfCare", "CarePlan", "Goal", "CareTeam", "Consent", "AuditEvent",
        "MedicationRequest", "MedicationAdministration", "MedicationDispense",
        "MedicationStatement", "DetectedIssue", "Provenance", "Flag", "Observation",
        "Encounter", "DocumentReference",
    }  # fmt: skip


def test_orders_carry_their_history_and_corrections_their_provenance() -> None:
    bundle = as_fhir([record_for(DOCTOR)], [], at=AT)
    requests = by_type(bundle, "MedicationRequest")
    statuses = [r["status"] for r in requests]
    # prescribed, changed, tapered, the wrong one; then one back in force after the change
    # that replaced it was entered in error
    assert statuses == [
        "stopped", "stopped", "stopped", "entered-in-error", "active", "entered-in-error"
    ]  # fmt: skip
    first, changed, taper, wrong, back, cancelled = requests
    assert cancelled["priorPrescription"] == {"reference": f"MedicationRequest/{back['id']}"}
    assert back["statusReason"]["text"] == (
        f"back in force from 2026-01-21: the order that replaced it ({cancelled['id']}) was"
        " entered in error"
    )
    assert changed["priorPrescription"] == {"reference": f"MedicationRequest/{first['id']}"}
    assert taper["priorPrescription"] == {"reference": f"MedicationRequest/{changed['id']}"}
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in taper["dosageInstruction"]] == [
        70,
        60,
    ]
    assert taper["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] == "2026-02-14"
    assert changed["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 72.5
    assert first["meta"]["versionId"] == "4"  # prescribed, held, resumed, replaced
    provenances = by_type(bundle, "Provenance")
    nullified, cancelled_nullified, replaced, dose_nullified, returned, witnessed = provenances[:6]
    take_home_nullified = provenances[6]
    assert cancelled_nullified["target"] == [{"reference": f"MedicationRequest/{cancelled['id']}"}]
    assert nullified["target"] == [{"reference": f"MedicationRequest/{wrong['id']}"}]
    assert nullified["activity"]["coding"][0]["code"] == "NULLIFY"
    assert nullified["reason"] == [{"text": "wrong client"}]
    doses = by_type(bundle, "MedicationAdministration")
    assert replaced["entity"] == [
        {"role": "revision", "what": {"reference": f"MedicationAdministration/{doses[0]['id']}"}}
    ]
    assert doses[0]["contained"][0]["batch"] == {"lotNumber": "L-1"}
    assert [d["status"] for d in doses] == [
        "completed",
        "completed",
        "entered-in-error",
        "not-done",
        "not-done",
        "entered-in-error",  # a dose not given, marked so
    ]
    assert doses[2]["statusReason"] == [{"text": "charted on the wrong client"}]
    assert dose_nullified["target"] == [{"reference": f"MedicationAdministration/{doses[2]['id']}"}]
    assert dose_nullified["activity"]["coding"][0]["code"] == "NULLIFY"
    assert doses[2]["eventHistory"] == [{"reference": f"Provenance/{dose_nullified['id']}"}]
    handed, wrong_take_home = by_type(bundle, "MedicationDispense")
    assert (handed["status"], wrong_take_home["status"]) == ("completed", "entered-in-error")
    assert handed["note"][-2] == {
        "text": "bottle B-7, lot L-2 for dosing day 2026-02-07 slot 1 returned on 2026-02-06:"
        " 70 mg left, destroyed before nurse-ola"
    }
    assert handed["note"][-1]["text"].endswith("confirmed by its witness nurse-ola")
    assert returned["target"] == [{"reference": f"MedicationDispense/{handed['id']}"}]
    assert returned["activity"]["coding"][0]["code"] == "UPDATE"
    assert witnessed["target"] == returned["target"]
    assert witnessed["reason"] == [{"text": "return witnessed"}]
    assert witnessed["agent"][0]["who"] != returned["agent"][0]["who"]  # two people
    assert handed["eventHistory"] == [
        {"reference": f"Provenance/{returned['id']}"},
        {"reference": f"Provenance/{witnessed['id']}"},
    ]
    assert wrong_take_home["statusReasonCodeableConcept"] == {"text": "wrong client"}
    assert take_home_nullified["target"] == [
        {"reference": f"MedicationDispense/{wrong_take_home['id']}"}
    ]
    assert take_home_nullified["activity"]["coding"][0]["code"] == "NULLIFY"
    assert take_home_nullified["reason"] == [{"text": "wrong client"}]
    assert wrong_take_home["eventHistory"] == [
        {"reference": f"Provenance/{take_home_nullified['id']}"}
    ]


def test_an_instrument_in_error_is_nullified_with_its_provenance() -> None:
    bundle = as_fhir([record_for(DOCTOR)], [], at=AT)
    [phq9] = [o for o in by_type(bundle, "Observation") if o["code"]["text"] == "PHQ-9"]
    assert phq9["status"] == "entered-in-error"
    assert phq9["valueInteger"] == 9  # kept as recorded, never edited
    target = [{"reference": f"Observation/{phq9['id']}"}]
    [nullified] = [p for p in by_type(bundle, "Provenance") if p["target"] == target]
    assert nullified["activity"]["coding"][0]["code"] == "NULLIFY"
    assert nullified["reason"] == [{"text": "item 9 mistyped"}]
    others = [o for o in by_type(bundle, "Observation") if o is not phq9]
    assert "entered-in-error" not in {o["status"] for o in others}


def test_a_corrected_session_outcome_sets_the_encounter_anew_with_its_provenance() -> None:
    bundle = as_fhir([record_for(DOCTOR)], [], at=AT)
    encounters = [e for e in by_type(bundle, "Encounter") if "identifier" in e]  # sessions
    assert [e["status"] for e in encounters] == ["finished", "cancelled", "finished", "cancelled"]
    corrected, called_off = encounters[2:]
    assert called_off["extension"] == [
        {"url": called_off["extension"][0]["url"], "valueCode": "cancelled"}
    ]
    assert "length" not in called_off
    assert corrected["extension"][0]["valueCode"] == "attended"
    assert corrected["length"] == {"value": 30, "unit": "min"}
    target = [{"reference": f"Encounter/{corrected['id']}"}]
    [provenance] = [p for p in by_type(bundle, "Provenance") if p["target"] == target]
    assert provenance["activity"]["coding"][0]["code"] == "UPDATE"
    assert provenance["reason"] == [
        {"text": "no_show corrected: came in late; attendance sheet misread"}
    ]


def test_a_session_not_attended_has_no_length_once_corrected_to_that() -> None:
    """An attended session of 80 minutes corrected to a no-show kept its 80 minutes."""
    r = Record()
    r.add(ClientEnrolled, ADMIN, display_name="E. F.", program="OTP")
    booked: dict[str, Any] = {"modality": Modality.CBT, "format": SessionFormat.INDIVIDUAL}
    booked |= {"clinician_id": THERAPIST.id, "planned_minutes": 50, "scheduled_for": AT}
    sessions = [r.add(SessionScheduled, THERAPIST, session_id=uuid4(), **booked) for _ in "ab"]
    attended = r.add(SessionAttended, THERAPIST, session_id=sessions[0].session_id,
                     modality=Modality.CBT, duration_minutes=80)  # fmt: skip
    r.add(SessionOutcomeCorrected, THERAPIST, session_id=sessions[0].session_id,
          modality=Modality.CBT, corrects_event_id=attended.event_id,
          previous_outcome=SessionOutcome.ATTENDED, outcome=SessionOutcome.NO_SHOW,
          reason="another client's sheet")  # fmt: skip
    r.add(SessionNoShow, THERAPIST, session_id=sessions[1].session_id, modality=Modality.CBT)
    grant = decide(THERAPIST.role, Standing(on_care_team=True))
    record = ClientRecord.shown(r.client_id, positioned(r.events), grant, THERAPIST, WHOLE)

    bundle = as_fhir([record], [], at=AT)
    encounters = [e for e in by_type(bundle, "Encounter") if e["id"] != episode_of(r)]
    assert [(e["status"], e["extension"][0]["valueCode"]) for e in encounters] == [
        ("cancelled", "no-show"), ("cancelled", "no-show"),
    ]  # fmt: skip
    assert [e.get("length") for e in encounters] == [None, None]


def test_a_consent_past_its_end_is_inactive_at_the_exports_moment() -> None:
    """No event says a consent ran out: the Bundle reads it as it stood at the period's end
    (now for a live export), and one of what changed since carries the change."""
    r = Record()
    r.add(ClientEnrolled, ADMIN, display_name="Jo R.", program="North OTP")
    ends = START + timedelta(days=30)
    r.add(
        ConsentRecorded, ADMIN, consent_id=uuid4(),
        recipients=(Recipient(type=RecipientType.MEMBER, id="pcp-1"),), purpose="coordination",
        data_kinds=(Kind.MEDICATION,), expires_at=ends, signed_on=date(2026, 1, 5),
        signed_by="Jo R.",
    )  # fmt: skip
    grant = decide(ADMIN.role, Standing(on_care_team=True))

    def status(period: Period, at: datetime = AT) -> list[str]:
        record = ClientRecord.shown(r.client_id, positioned(r.events), grant, ADMIN, period)
        bundle = as_fhir([record], [], at=at, period=period)
        return [c["status"] for c in by_type(bundle, "Consent")]

    assert status(WHOLE) == ["inactive"]  # now is past its end
    assert status(WHOLE, at=ends - timedelta(seconds=1)) == ["active"]
    assert status(Period(end=ends)) == ["inactive"]
    assert status(Period(end=ends - timedelta(seconds=1))) == ["active"]
    # an export of the days its term ended in: it changed there, though no event did
    assert status(Period(start=ends - timedelta(days=1), end=ends + timedelta(days=1))) == [
        "inactive"
    ]
    assert status(Period(start=ends + timedelta(days=1))) == []


def test_consents_access_and_alerts() -> None:
    bundle = as_fhir([record_for(DOCTOR)], [], at=AT)
    kept, revoked, discharged = by_type(bundle, "Consent")
    assert (kept["status"], revoked["status"]) == ("active", "inactive")
    # One given until discharge reads inactive from the discharge, its period ending then.
    assert discharged["status"] == "inactive"
    period = discharged["provision"]["period"]
    assert datetime.fromisoformat(period["start"]) < datetime.fromisoformat(period["end"])
    assert {"url": EXPIRES_ON, "valueCode": "discharge"} in discharged["extension"]
    assert kept["provision"]["actor"][0]["reference"]["identifier"]["value"] == "clinic_north"
    glass, disclosure, emergency_disclosure, sent, withdrawn = by_type(bundle, "AuditEvent")
    assert glass["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    assert {"what": {"reference": f"Consent/{kept['id']}"}} in disclosure["entity"]
    assert {"what": {"reference": f"AuditEvent/{glass['id']}"}} in emergency_disclosure["entity"]
    # The forwarder's: an intent recorded sent is one disclosure; one withdrawn says so, and
    # that an interrupted run may have sent it before (an accounting must not say "never").
    assert (sent["outcome"], "outcomeDesc" in sent, sent["meta"]["versionId"]) == ("0", False, "2")
    assert (withdrawn["outcome"], withdrawn["outcomeDesc"]) == (
        "4",
        "withdrawn: the consent it relied on was no longer in force; not sent after that;"
        " whether a run stopped between publishing and recording sent it before is not known",
    )
    assert {"what": {"reference": f"Consent/{kept['id']}"}} in withdrawn["entity"]
    team = by_type(bundle, "CareTeam")[0]
    ended = [p for p in team["participant"] if "end" in p["period"]]
    assert [p["member"]["identifier"]["value"] for p in ended] == [NURSE.id]
    issues = {i["code"]["coding"][-1]["code"]: i for i in by_type(bundle, "DetectedIssue")}
    alert = issues["fentanyl-positive"]
    assert [m["action"]["coding"][0]["code"] for m in alert["mitigation"]] == [
        "acknowledged",
        "resolved",
    ]
    assert issues["naltrexone-opioid"]["mitigation"][0]["action"]["text"].startswith("the")
    qtc_alone = issues["methadone-qtc-prolonged"]  # one medication and the QTc
    assert [c["code"] for c in qtc_alone["code"]["coding"]] == ["OBSA", "methadone-qtc-prolonged"]
    assert len(qtc_alone["implicated"]) == 1
    pair = [i for i in by_type(bundle, "DetectedIssue") if len(i.get("implicated", ())) == 2]
    assert pair[0]["code"]["coding"][0]["code"] == "DRG"


def test_a_discharge_ends_the_episode_and_its_stint_and_a_readmission_begins_one() -> None:
    bundle = as_fhir([record_for(DOCTOR)], [], at=AT)
    Bundle.model_validate(bundle)
    stints = by_type(bundle, "EpisodeOfCare")
    assert {s["status"] for s in stints} == {"finished"}
    encounters = by_type(bundle, "Encounter")
    [nullified] = [e for e in encounters if e["status"] == "entered-in-error"]
    assert nullified["hospitalization"] == {"reAdmission": {"text": "readmission"}}
    ended, begun = [
        e for e in encounters if "hospitalization" in e and e["status"] != "entered-in-error"
    ]
    assert (ended["status"], ended["hospitalization"]) == (
        "finished", {"dischargeDisposition": {"text": "transferred"}},
    )  # fmt: skip
    assert ended["period"]["end"] == stints[-1]["period"]["end"]
    assert (begun["status"], begun["hospitalization"]) == (
        "in-progress", {"reAdmission": {"text": "readmission"}},
    )  # fmt: skip
    assert "to a program nearer home" not in str(bundle)  # the note is the timeline's


def test_a_discharge_in_error_puts_its_episode_and_stint_back_in_progress() -> None:
    r = Record()
    enrolled = r.add(ClientEnrolled, ADMIN, display_name="K. L.", program="OTP")
    r.add(LevelOfCareChanged, DOCTOR, level=LevelOfCare.OUTPATIENT)
    discharged = r.add(ClientDischarged, ADMIN, reason=DischargeReason.DECEASED,
                       admitted_at=enrolled.occurred_at, level=LevelOfCare.OUTPATIENT)  # fmt: skip
    r.add(DischargeEnteredInError, ADMIN, entry_event_id=discharged.event_id,
          reason="another client's death", discharged_at=discharged.occurred_at,
          admitted_at=enrolled.occurred_at)  # fmt: skip
    grant = decide(ADMIN.role, Standing(on_care_team=True))
    record = ClientRecord.shown(r.client_id, positioned(r.events), grant, ADMIN, WHOLE)

    bundle = as_fhir([record], [], at=AT)

    Bundle.model_validate(bundle)
    [episode] = by_type(bundle, "Encounter")
    assert (episode["status"], "end" in episode["period"], "hospitalization" in episode) == (
        "in-progress", False, False,
    )  # fmt: skip
    [stint] = by_type(bundle, "EpisodeOfCare")
    assert (stint["status"], "end" in stint["period"]) == ("active", False)
    [marked] = by_type(bundle, "Provenance")
    assert marked["target"] == [{"reference": f"Encounter/{episode['id']}"}]
    assert marked["activity"]["coding"][0]["code"] == "UPDATE"


def test_the_readers_grant_decides_what_is_exported() -> None:
    admin = as_fhir([record_for(ADMIN)], [], at=AT)
    assert {r["resourceType"] for r in entries(admin)} == {
        "Patient", "EpisodeOfCare", "Encounter", "CareTeam", "Consent", "AuditEvent",
        "Provenance",  # of the episodes' corrections
    }  # fmt: skip
    assert {e["type"][0]["text"] for e in by_type(admin, "Encounter")} == {"treatment episode"}
    Bundle.model_validate(admin)
    auditor = as_fhir([record_for(AUDITOR)], [], at=AT)
    documents = by_type(auditor, "DocumentReference")
    assert [(d["type"]["text"], d["status"]) for d in documents] == [
        ("Session progress note", "current"),
        ("Session progress note", "entered-in-error"),
    ]  # never counseling notes
    therapist = as_fhir([record_for(THERAPIST)], [], at=AT)
    counseling = [d for d in by_type(therapist, "DocumentReference") if "securityLabel" in d]
    assert [d["status"] for d in counseling] == ["current", "entered-in-error"]  # their own


def test_json_lines_are_the_broker_bodies_with_their_positions() -> None:
    record = record_for(AUDITOR)
    lines = as_jsonl([record]).splitlines()

    assert len(lines) == len(record.events)
    for text, item in zip(lines, record.events, strict=True):
        body = json.loads(text)
        assert body.pop("position") == item.position
        decoded = catalog.decode(body["type"], json.dumps(body).encode())
        assert decoded == item.event


def test_a_period_takes_what_was_recorded_in_it() -> None:
    made = every_event()
    grant = decide(Role.AUDITOR, Standing())
    history = positioned(made.events)
    ended = next(e for e in made.events if type(e).__name__ == "OrderDiscontinued")
    period = Period(start=ended.recorded_at, end=ended.recorded_at + timedelta(seconds=1))
    record = ClientRecord.shown(made.client_id, history, grant, AUDITOR, period)

    lines = [json.loads(line) for line in as_jsonl([record], period).splitlines()]
    assert [line["type"] for line in lines] == ["medication.OrderDiscontinued"]
    bundle = as_fhir([record], [], at=AT, period=period)
    assert [(r["resourceType"], r["status"]) for r in entries(bundle)] == [
        ("MedicationRequest", "stopped")
    ]
    assert len(record.events) < len(history)  # nothing recorded after the period is folded


@pytest.mark.parametrize("reader", [NURSE, AUDITOR])
def test_program_exports_merge_clients_in_log_order(reader: Actor) -> None:
    grant = decide(reader.role, Standing(on_care_team=True))
    one, two = every_event(), every_event()
    history = positioned([e for pair in zip(one.events, two.events, strict=True) for e in pair])
    records = [
        ClientRecord.shown(
            r.client_id, [i for i in history if i.event.client_id == r.client_id], grant, reader
        )
        for r in (one, two)
    ]
    positions = [json.loads(line)["position"] for line in as_jsonl(records).splitlines()]
    assert positions == sorted(positions)
    assert {json.loads(line)["client_id"] for line in as_jsonl(records).splitlines()} == {
        str(one.client_id),
        str(two.client_id),
    }
    Bundle.model_validate(as_fhir(records, [], at=AT))


@pytest.mark.parametrize("zone", list(PARTED))
def test_days_made_from_moments_are_the_programs_days(zone: str) -> None:
    """A goal's ``startDate`` and ``statusDate`` and a medication statement's end are the
    program's day (``program_time_zone``) of when they happened; they were UTC's, the next
    day in a Los Angeles evening and the day before early in a Kolkata morning."""
    on, made = date(2026, 1, 6), Record()
    moment = parted(on, ZoneInfo(zone))
    made.add(ClientEnrolled, ADMIN, display_name="Jo R.", program="North OTP")
    goal = made.add(TreatmentGoalSet, THERAPIST, moment, goal_id=uuid4(), description="Walk")
    made.add(
        GoalProgressRecorded, THERAPIST, moment, goal_id=goal.goal_id, description="Walk",
        achievement=GoalAchievement.IMPROVING,
    )  # fmt: skip
    taken = made.add(
        MedicationStatementRecorded, DOCTOR, statement_id=uuid4(), medication="citalopram",
        source=StatementSource.CLIENT,
    )  # fmt: skip
    made.add(
        MedicationStatementEnded, DOCTOR, moment, statement_id=taken.statement_id,
        medication="citalopram",
    )  # fmt: skip

    record = ClientRecord(made.client_id, positioned(made.events))
    bundle = as_fhir([record], [], at=AT, zone=ZoneInfo(zone))

    [set_goal] = by_type(bundle, "Goal")
    [statement] = by_type(bundle, "MedicationStatement")
    assert (set_goal["startDate"], set_goal["statusDate"]) == (str(on), str(on))
    assert statement["effectivePeriod"]["end"] == str(on)


def test_guest_dosing_ended_early_flags_the_days_away_and_not_the_day_back() -> None:
    """Guest dosing from 10 to 20 February ended on the 15th: the client doses here from the
    15th, so the Flag "no dose given here" ends on the 14th (it ended on the 15th, and a
    system reading it would not dose the client on the day they came back)."""
    [flag] = by_type(as_fhir([record_for(NURSE)], [], at=AT), "Flag")

    assert (flag["status"], flag["period"]) == (
        "inactive", {"start": "2026-02-10", "end": "2026-02-14"}
    )  # fmt: skip


def test_a_statement_in_error_is_marked_so_with_its_provenance() -> None:
    bundle = as_fhir([record_for(DOCTOR)], [], at=AT)
    [wrong] = [
        s for s in by_type(bundle, "MedicationStatement") if s["status"] == "entered-in-error"
    ]
    target = {"reference": f"MedicationStatement/{wrong['id']}"}
    [nullified] = [p for p in by_type(bundle, "Provenance") if p["target"] == [target]]
    assert wrong["statusReason"] == [{"text": "another client's report"}]
    assert nullified["activity"]["coding"][0]["code"] == "NULLIFY"


def test_a_dose_not_given_in_error_is_marked_so_with_its_provenance() -> None:
    """Its MedicationAdministration (not-done, by the event's id) becomes entered-in-error."""
    bundle = as_fhir([record_for(DOCTOR)], [], at=AT)
    [wrong] = [
        a
        for a in by_type(bundle, "MedicationAdministration")
        if a.get("statusReason") == [{"text": "the wrong day"}]
    ]
    target = {"reference": f"MedicationAdministration/{wrong['id']}"}
    [nullified] = [p for p in by_type(bundle, "Provenance") if p["target"] == [target]]
    assert wrong["status"] == "entered-in-error"
    assert wrong["eventHistory"] == [{"reference": f"Provenance/{nullified['id']}"}]
    assert nullified["activity"]["coding"][0]["code"] == "NULLIFY"


def test_an_admins_json_lines_withhold_the_free_text_a_clinician_wrote() -> None:
    """The prescriber's reason for a level of care reads null, the line naming it; the
    admin's own reasons (a revocation, a membership's end) are shown, and the auditor's
    lines are the events whole."""
    admin = [json.loads(line) for line in as_jsonl([record_for(ADMIN)]).splitlines()]
    free = {"care.LevelOfCareChanged", "consent.ConsentRevoked", "careteam.CareTeamMemberEnded"}
    assert [(e["type"], e["reason"], e.get("withheld")) for e in admin if e["type"] in free] == [
        ("care.LevelOfCareChanged", None, ["reason"]),
        ("care.LevelOfCareChanged", None, ["reason"]),
        ("consent.ConsentRevoked", "changed my mind", None),
        ("careteam.CareTeamMemberEnded", "left", None),
    ]
    assert record_for(AUDITOR).withheld == {}


def test_a_bundle_masks_the_free_text_its_reader_is_not_shown() -> None:
    """Where the grant does not hold all its writer's role reads (a therapist, who sees no
    doses, of a prescriber's dose change or override), a reason reads in no resource: a
    concept telling it carries only the data-absent-reason `masked`, a note is left out.
    Before, the Bundle carried every reason the JSON Lines withheld. The auditor's is whole."""
    record = record_for(THERAPIST)
    kept = {
        getattr(item.event, name)
        for item in record.events
        for name in record.withheld.get(item.position, ())
        if getattr(item.event, name)
    }
    bundle = as_fhir([record], [], at=AT)
    Bundle.model_validate(bundle)
    assert kept
    assert told(kept, bundle) == []
    assert "masked" in strings(bundle)
    whole = as_fhir([record_for(AUDITOR)], [], at=AT)
    assert told(kept, whole) != []
    assert "masked" not in strings(whole)


def told(texts: set[str], bundle: dict[str, Any]) -> list[str]:
    """Which of ``texts`` a resource of ``bundle`` tells, alone or after a label."""
    held = strings(bundle)
    return [t for t in texts if any(s == t or s.endswith(f": {t}") for s in held)]


def strings(value: Any) -> set[str]:
    """Every string a resource holds, at any depth."""
    if isinstance(value, dict):
        return {s for v in value.values() for s in strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in strings(v)}
    return {value} if isinstance(value, str) else set()


MASKED = {"extension": [{"url": DATA_ABSENT, "valueCode": "masked"}]}


def test_a_bundle_marks_a_withheld_reason_masked_where_none_given_is_left_out() -> None:
    """A reason or note its reader is not shown reads masked where it would stand, so a FHIR
    client tells it from one never given: the therapist's Bundle marks the prescriber's
    reason for a dose change, a statement ended, an acknowledged interaction and an override,
    the nurse's check-in and alert notes and every entry in error's reason. Before, an
    optional reason withheld was left out as if none was given."""
    record = record_for(THERAPIST)
    bundle = as_fhir([record], [], at=AT)
    Bundle.model_validate(bundle)
    resources = entries(bundle)
    events = [item.event for item in record.events]

    def made_by(event_type: type[Any], id_field: str, said: str) -> list[dict[str, Any]]:
        """The resources made by the events of ``event_type`` whose ``said`` holds text."""
        ids = {
            str(getattr(e, id_field))
            for e in events
            if isinstance(e, event_type) and getattr(e, said)
        }
        return [r for r in resources if r["id"] in ids]

    [changed] = made_by(DoseChanged, "order_id", "reason")
    assert MASKED_NOTE in changed["note"]
    [ended] = made_by(MedicationStatementEnded, "statement_id", "reason")
    assert ended["statusReason"] == [MASKED]
    [found] = made_by(InteractionFound, "finding_id", "acknowledged_reason")
    assert [m["action"] for m in found["mitigation"]] == [MASKED]
    [override] = made_by(OverrideAcknowledged, "override_id", "reason")
    assert override["_detail"] == MASKED
    checked = [
        r
        for r in made_by(CheckInRecorded, "checkin_id", "note")
        if r["resourceType"] == "Observation"
    ]
    assert [r["note"] for r in checked if "note" in r] == [[MASKED_NOTE]]
    responses = [
        m["action"]
        for r in by_type(bundle, "DetectedIssue")
        for m in r.get("mitigation", ())
        if m["action"].get("coding", [{}])[0].get("code") in ("acknowledged", "resolved")
    ]
    assert responses
    assert all(a["_text"] == MASKED for a in responses)
    nullified = [r for r in by_type(bundle, "Provenance") if "NULLIFY" in json.dumps(r)]
    theirs = [r for r in nullified if "DocumentReference/" in json.dumps(r["target"])]
    assert [r["reason"] for r in theirs] == [
        [{"text": "written on the wrong client's session"}]
    ] * 2  # the therapist's own marks of their notes
    assert all(r["reason"] == [MASKED] for r in nullified if r not in theirs)
    audited = json.dumps(as_fhir([record_for(AUDITOR)], [], at=AT))
    assert "masked" not in audited


MASKED_NOTE = {"_text": MASKED}


def test_a_step_on_a_goal_withholds_its_goals_words_by_the_goals_writer() -> None:
    """A progress step restates its goal's words: a therapist's JSON Lines carry her step on
    the prescriber's goal naming the dose with its description null and named in
    ``withheld``, her own note whole, as the timeline shows it. Before, the step went by its
    own writer alone and told her the words the goal's own line withheld."""
    made = Record()
    goal = made.add(
        TreatmentGoalSet, DOCTOR, goal_id=uuid4(), description="taper methadone to 40 mg"
    )
    made.add(
        GoalProgressRecorded, THERAPIST, goal_id=goal.goal_id, description=goal.description,
        achievement=GoalAchievement.IMPROVING, note="calmer this week",
    )  # fmt: skip
    grant = decide(Role.THERAPIST, Standing(on_care_team=True))
    record = ClientRecord.shown(made.client_id, positioned(made.events), grant, THERAPIST)
    lines = [json.loads(line) for line in as_jsonl([record]).splitlines()]
    assert [(e["description"], e.get("note"), e.get("withheld")) for e in lines] == [
        (None, None, ["description"]),
        (None, "calmer this week", ["description"]),
    ]
