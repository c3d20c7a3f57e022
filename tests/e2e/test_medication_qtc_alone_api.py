"""Methadone with a QTc of 500 ms or more on record is refused through the API until the
prescriber acknowledges the QTc finding, with no second QT-prolonging drug in the picture;
the acknowledged finding names the order alone and the QTc it was judged on, and a
reduction afterwards is not held up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from medication_steps import CHANGE, INDUCTED, MEDICATIONS, PRESCRIBE, Clinic, mutation

from carecoord.events import Role
from support import Api

VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")
QTC_RULE = "methadone-qtc-prolonged"


@pytest.mark.shared_platform
async def test_methadone_with_a_qtc_of_500_or_more_needs_an_acknowledgement(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Lee W.")
    measured = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    await api.ok(
        VITALS,
        {"i": {"clientId": clinic.client_id, "qtcMs": 530, "occurredAt": measured.isoformat()}},
        role=Role.NURSE,
        user="nurse-kim",
    )
    methadone = {
        "medication": "methadone",
        "dose": "80",
        "acknowledgements": [INDUCTED],
        "unit": "mg",
        "route": "oral",
    }

    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **methadone, start=str(today))
    before = await clinic.read(MEDICATIONS, history=True)
    ack = [{"rule": QTC_RULE, "reason": "cardiology reviewed; weekly ECG"}, INDUCTED]
    ordered = await clinic.doctor(
        PRESCRIBE, **{**methadone, "acknowledgements": ack}, start=str(today)
    )
    lower = await clinic.doctor(
        CHANGE,
        orderId=ordered["id"],
        dose="60",
        start=str(today + timedelta(days=1)),
        acknowledgements=[INDUCTED],  # not dosed yet: its first day is still judged
    )

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "acknowledgements",
        QTC_RULE,
    )
    advice = "QTc 530 ms (500 or more): consider reducing or stopping methadone"
    assert advice in refused["message"]
    assert before["orders"] == []
    [found] = ordered["findings"]
    assert (found["rule"], found["severity"], found["implicated"]) == (
        QTC_RULE,
        "HIGH",
        [ordered["id"]],
    )
    assert found["acknowledgedReason"] == "cardiology reviewed; weekly ECG"
    assert lower["findings"] == []
    view = await clinic.read(MEDICATIONS, history=True)
    [listed] = [f for f in view["findings"] if f["rule"] == QTC_RULE]
    assert (listed["severity"], listed["implicated"]) == ("HIGH", [ordered["id"]])
