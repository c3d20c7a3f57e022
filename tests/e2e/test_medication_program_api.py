"""A program's own medication tables and time zone, from its program file, through the API;
the QTc behind the methadone QT rule; guest dosing as a consented disclosure."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import isolated_settings
from medication_steps import INDUCTED, MEDICATIONS, PRESCRIBE, TIMELINE, Clinic, mutation

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api

ZONE = ZoneInfo("America/New_York")
"""The program's zone: a day written down (``today`` among them) is a New York day, at any
hour of a UTC one."""
EXAMPLE = Path(__file__).parents[2] / "docs" / "program.example.toml"
PROGRAM = EXAMPLE.read_text()
VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")
GUEST = mutation("GuestDosingInput", "arrangeGuestDosing")
CONSENT = mutation("RecordConsentInput", "recordConsent")
QT_RULE = "methadone-qt-prolonging"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    path = data_dir / f"program-{uuid.uuid4().hex[:8]}.toml"
    path.write_text(PROGRAM)
    return isolated_settings(data_dir, program_file=path, program_time_zone=str(ZONE))


def drug(medication: str, dose: str, start: date) -> dict[str, object]:
    return {"medication": medication, "dose": dose, "unit": "mg", "route": "oral",
            "start": str(start)}  # fmt: skip


async def refused_unstored(
    clinic: Clinic, query: str, role: Role = Role.NURSE, **given: Any
) -> dict[str, Any]:
    """The refusal of ``query``, once checked that nothing was stored."""
    store = clinic.api.platform.store
    head = await asyncio.to_thread(store.last_position)
    refused = await clinic.refused(query, role, **given)
    assert await asyncio.to_thread(store.last_position) == head
    return refused


async def test_a_drug_and_a_rule_from_the_program_file_change_what_prescribe_does(
    api: Api, today: date
) -> None:
    assert str(api.platform.medication.zone) == "America/New_York"
    clinic = await Clinic.enroll(api, "Lee P.")
    await clinic.doctor(PRESCRIBE, **drug("lorazepam", "1", today))

    refused = await refused_unstored(
        clinic, PRESCRIBE, Role.PRESCRIBER, **drug("olanzapine", "10", today)
    )

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "acknowledgements",
        "olanzapine-benzodiazepine",
    )
    assert "source: Zyprexa label, section 5.11" in refused["message"]
    ack = [{"rule": "olanzapine-benzodiazepine", "reason": "inpatient, monitored"}]
    ordered = await clinic.doctor(
        PRESCRIBE, **drug("olanzapine", "10", today), acknowledgements=ack
    )
    [finding] = ordered["findings"]
    assert (finding["rule"], finding["ruleVersion"], finding["severity"]) == (
        "olanzapine-benzodiazepine",
        "program-1",
        "HIGH",
    )
    view = await clinic.read(MEDICATIONS)
    assert "olanzapine" in {o["medication"] for o in view["orders"]}


async def test_the_latest_qtc_decides_the_methadone_qt_finding(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Ari N.")
    await clinic.doctor(PRESCRIBE, **drug("methadone", "60", today), acknowledgements=[INDUCTED])
    measured = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    await api.ok(
        VITALS,
        {"i": {"clientId": clinic.client_id, "qtcMs": 520, "occurredAt": measured.isoformat()}},
        role=Role.NURSE,
        user="nurse-kim",
    )

    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **drug("escitalopram", "10", today))
    assert refused["rule"] == QT_RULE
    assert "QTc 520 ms (500 or more)" in refused["message"]
    ack = [{"rule": QT_RULE, "reason": "cardiology consulted"}]
    ordered = await api.ok(
        PRESCRIBE.replace("acknowledgedReason", "acknowledgedReason qtcMs qtcMeasuredAt"),
        {"i": {"clientId": clinic.client_id, **drug("escitalopram", "10", today),
               "acknowledgements": ack}},
        role=Role.PRESCRIBER, user="dr-lee",
    )  # fmt: skip
    [qt] = [f for f in ordered["prescribeMedication"]["findings"] if f["rule"] == QT_RULE]
    assert (qt["severity"], qt["ruleVersion"], qt["qtcMs"]) == ("HIGH", "2", 520)
    assert datetime.fromisoformat(qt["qtcMeasuredAt"]) == measured


async def test_guest_dosing_needs_a_consent_naming_the_site_and_records_the_disclosure(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Sky D.")
    await clinic.doctor(PRESCRIBE, **drug("methadone", "60", today), acknowledgements=[INDUCTED])
    stay: dict[str, Any] = {
        "site": "Riverside OTP",
        "start": str(today + timedelta(days=3)),
        "end": str(today + timedelta(days=9)),
    }

    refused = await refused_unstored(clinic, GUEST, **stay)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "site",
        "guest-dosing-consent",
    )
    assert "no consent in force names 'Riverside OTP'" in refused["message"]

    consent = {
        "clientId": clinic.client_id,
        "recipients": [{"type": "ORGANIZATION", "id": "Riverside OTP", "name": "Riverside OTP"}],
        "purpose": "treatment: guest dosing",
        "dataKinds": ["MEDICATION", "DOSING"],
        "signedOn": str(today),
        "expiryEvent": "end of treatment",
        "signedBy": "Sky D.",
    }
    consent_id = (await api.ok(CONSENT, {"i": consent}, role=Role.PROGRAM_ADMIN))["recordConsent"][
        "id"
    ]
    await clinic.nurse(GUEST, **stay)

    timeline = await clinic.read(TIMELINE.replace("summary", "summary facts"))
    types = [n["type"] for n in timeline["nodes"]]
    assert "medication.GuestDosingArranged" in types
    [disclosed] = [n for n in timeline["nodes"] if n["type"] == "access.DisclosureRecorded"]
    assert disclosed["summary"].startswith("Disclosed to Riverside OTP for treatment: guest dosing")
    facts = disclosed["facts"]
    assert facts["consent_id"] == consent_id
    assert set(facts["data_kinds"]) == {"medication", "dosing"}
    assert facts["description"].startswith("Orders to dose by: methadone 60 mg oral")
    assert facts["notice"].startswith("This record which has been disclosed to you is protected")
