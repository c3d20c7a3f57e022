"""A dose change marked entered in error through the API puts the order it replaced back in
force: the nurse at the window can dose the client again the same day, the medication list
shows the earlier order active with its own end, the dosing view says from when, and the
dose given under the cancelled order stays recorded as given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from medication_steps import (
    CHANGE,
    DOSING,
    INDUCTED,
    MEDICATIONS,
    PRESCRIBE,
    TAPER,
    TIMELINE,
    Clinic,
    at,
    mutation,
)

from carecoord.events import Role
from support import Api

ORDER_IN_ERROR = mutation("OrderActionInput", "markOrderEnteredInError")
VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")


@pytest.mark.shared_platform
async def test_a_dose_change_in_error_leaves_the_earlier_order_to_dose_by(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Sam O.")
    start = today - timedelta(days=3)
    end = today + timedelta(days=40)
    first = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60",
        acknowledgements=[INDUCTED], unit="mg", route="oral",
        start=str(start), end=str(end), occurredAt=at(start, 8),
    )  # fmt: skip
    await clinic.dose(first["id"], start, "60")
    measured = datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=12)
    vitals = {"clientId": clinic.client_id, "qtcMs": 470, "occurredAt": measured.isoformat()}
    await api.ok(VITALS, {"i": vitals}, role=Role.NURSE, user="nurse-kim")
    yesterday = today - timedelta(days=1)
    changed = await clinic.doctor(
        CHANGE, orderId=first["id"], dose="80", start=str(yesterday), reason="titration",
        acknowledgements=[{"rule": "methadone-titration", "reason": "withdrawal at 60 mg"}],
    )  # fmt: skip
    given = await clinic.dose(changed["id"], yesterday, "80")

    blank = await clinic.refused(ORDER_IN_ERROR, Role.PRESCRIBER, orderId=changed["id"], reason=" ")
    await clinic.doctor(ORDER_IN_ERROR, orderId=changed["id"], reason="meant for another client")
    twice = await clinic.refused(
        ORDER_IN_ERROR, Role.PRESCRIBER, orderId=changed["id"], reason="again"
    )
    today_dose = await clinic.dose(first["id"], today, "60")

    assert (blank["field"], blank["rule"]) == ("reason", "reason-required")
    assert (twice["field"], twice["rule"]) == ("orderId", "not-in-error")
    orders = {o["id"]: o for o in (await clinic.read(MEDICATIONS, history=True))["orders"]}
    earlier, cancelled = orders[first["id"]], orders[changed["id"]]
    assert (earlier["status"], earlier["end"], earlier["replacedBy"]) == ("active", str(end), None)
    assert earlier["history"][-1]["type"] == "medication.OrderReinstated"
    assert cancelled["status"] == "entered-in-error"
    current = await clinic.read(MEDICATIONS)
    assert [o["id"] for o in current["orders"]] == [first["id"]]
    # judged afresh back in force, on the QTc of 470 ms measured since it was prescribed
    assert [(f["rule"], f["severity"], f["implicated"]) for f in current["findings"]] == [
        ("methadone-qtc-prolonged", "MODERATE", [first["id"]])
    ]
    dosing = await clinic.read(DOSING, on=str(today))
    entries = [(e["day"], e["status"], e["medication"]) for e in dosing["entries"]]
    assert (str(yesterday), "given", "methadone") in entries  # under the cancelled order
    assert (str(today), "back-in-force", "methadone") in entries
    assert (str(today), "given", "methadone") in entries
    assert dosing["given"] == 3
    assert given != today_dose
    timeline = [n["summary"] for n in (await clinic.read(TIMELINE))["nodes"]]
    assert (
        f"Order back in force: methadone from {today} (order {changed['id']} entered in error)"
        in timeline
    )


@pytest.mark.shared_platform
async def test_a_blind_taper_back_in_force_is_hidden_from_the_client_again(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Bo K.")
    first = await clinic.methadone("60", today)
    taper = await clinic.doctor(
        TAPER, orderId=first["id"], blind=True, reason="client-requested taper",
        steps=[{"start": str(today + timedelta(days=1)), "dose": "50"}],
    )  # fmt: skip
    changed = await clinic.doctor(
        CHANGE,
        orderId=taper["id"],
        dose="55",
        start=str(today + timedelta(days=2)),
        acknowledgements=[INDUCTED],
    )

    async def client_reads() -> Any:
        variables = {"id": clinic.client_id, "atLeast": clinic.position}
        return await api.gql(MEDICATIONS, variables, role=Role.CLIENT, user=clinic.client_id)

    seen = await client_reads()
    await clinic.doctor(ORDER_IN_ERROR, orderId=changed["id"], reason="meant for another client")
    hidden = await client_reads()

    assert "errors" not in seen, seen  # the blind taper was replaced: the client sees
    [error] = hidden["errors"]  # back in force: blind again
    assert error["extensions"]["rule"] == "kind-may-read"
