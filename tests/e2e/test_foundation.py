"""One fact travels the whole pipeline: GraphQL in, store, broker, projection, GraphQL out."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carecoord.events import Role
from carecoord.services.kernel.program_day import program_day
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
PRESCRIBE = mutation("PrescribeInput", "prescribeMedication")
DOSE = mutation("AdministerDoseInput", "administerDose")
TIMELINE = """query($id: UUID!, $atLeast: Seq, $first: Int! = 50, $after: String) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: $first, after: $after) {
    edges {
      cursor
      node { position type summary occurredAt recordedAt recordedBy { id role } facts }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def recorded(api: Api, query: str, role: Role, user: str | None = None, **given: Any) -> Any:
    """What one mutation recorded (its id and position), sent by ``user`` as ``role``."""
    data = await api.ok(query, {"input": given}, role=role, user=user)
    [result] = data.values()
    return result


async def enroll_prescribe_dose(api: Api) -> tuple[str, str, int, str]:
    """A client enrolled three days ago, prescribed for from the day after and dosed the day
    before today (UTC days at fixed hours: past, and within every bound the platform sets
    from its clock, whatever day tests run); their ids, the dose's position and the time it
    was given."""
    today = datetime.now(UTC).date()
    client = await recorded(
        api, ENROLL, Role.PROGRAM_ADMIN,
        displayName="Alex R.", program="OTP", occurredAt=f"{today - timedelta(3)}T10:00:00Z",
    )  # fmt: skip
    await api.join_care_team(client["id"], Role.PRESCRIBER, "dr-lee")
    await api.join_care_team(client["id"], Role.NURSE, "nurse-kim")
    start = today - timedelta(2)
    order = await recorded(
        api, PRESCRIBE, Role.PRESCRIBER, "dr-lee",
        clientId=client["id"], medication="methadone", dose="40", unit="mg", route="oral",
        start=start.isoformat(), occurredAt=f"{start}T08:00:00Z",
    )  # fmt: skip
    given = f"{today - timedelta(1)}T09:00:00Z"
    dose = await recorded(
        api, DOSE, Role.NURSE, "nurse-kim",
        clientId=client["id"], orderId=order["id"], amount="40", dosageForm="oral solution",
        givenAt=given,
    )  # fmt: skip
    return client["id"], order["id"], dose["position"], given


@pytest.mark.shared_platform
async def test_three_actions_show_in_the_timeline_in_order(api: Api) -> None:
    client_id, _, position, given = await enroll_prescribe_dose(api)

    data = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": position}, role=Role.PRESCRIBER, user="dr-lee"
    )

    nodes = [e["node"] for e in data["clientTimeline"]["edges"]]
    # In clinical time: the memberships were recorded today, the care in the days before.
    assert [n["type"] for n in nodes] == [
        "care.ClientEnrolled",
        "medication.MedicationPrescribed",
        "medication.DoseAdministered",
        "careteam.CareTeamMemberAssigned",
        "careteam.CareTeamMemberAssigned",
    ]
    prescribed, dose = nodes[1], nodes[2]
    assert prescribed["recordedBy"] == {"id": "dr-lee", "role": "prescriber"}
    assert dose["recordedBy"] == {"id": "nurse-kim", "role": "nurse"}
    assert dose["occurredAt"].startswith(given.removesuffix("Z"))
    assert dose["recordedAt"] > dose["occurredAt"]
    assert dose["summary"] == "Dose given: methadone 40 mg"
    assert dose["facts"]["amount"] == "40"


@pytest.mark.shared_platform
async def test_timeline_pages_with_cursors(api: Api) -> None:
    client_id, _, position, _ = await enroll_prescribe_dose(api)
    nurse = {"role": Role.NURSE, "user": "nurse-kim"}

    first = (await api.ok(TIMELINE, {"id": client_id, "atLeast": position, "first": 3}, **nurse))[
        "clientTimeline"
    ]
    rest = (
        await api.ok(
            TIMELINE,
            {"id": client_id, "first": 3, "after": first["pageInfo"]["endCursor"]},
            **nurse,
        )
    )["clientTimeline"]

    assert first["pageInfo"]["hasNextPage"] is True
    assert len(first["edges"]) == 3
    assert [e["node"]["type"] for e in rest["edges"]] == [
        "careteam.CareTeamMemberAssigned",
        "careteam.CareTeamMemberAssigned",
    ]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_broker_subscriber_sees_each_event_once(api: Api) -> None:
    await enroll_prescribe_dose(api)
    settings = api.platform.settings
    js = api.platform.broker.connection.jetstream()
    sub = await js.subscribe(
        f"{settings.subject_root}.>", stream=settings.stream_name, ordered_consumer=True
    )
    seen: list[dict[str, Any]] = []
    try:
        while len(seen) < 5:
            msg = await sub.next_msg(timeout=5)
            seen.append({"subject": msg.subject, **json.loads(msg.data)})
        await asyncio.sleep(0.3)
        assert sub.pending_msgs == 0
    finally:
        await sub.unsubscribe()

    assert [s["type"] for s in seen] == [
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
        "careteam.CareTeamMemberAssigned",
        "medication.MedicationPrescribed",
        "medication.DoseAdministered",
    ]
    assert len({s["event_id"] for s in seen}) == 5
    client_id = seen[0]["client_id"]
    assert seen[4]["subject"] == f"{settings.subject_root}.medication.DoseAdministered.{client_id}"


@pytest.mark.shared_platform
async def test_subscription_pushes_entries_recorded_by_another_client(api: Api) -> None:
    client = await recorded(api, ENROLL, Role.PROGRAM_ADMIN, displayName="Sam", program="OTP")
    await api.join_care_team(client["id"], Role.PRESCRIBER)
    joined = await api.join_care_team(client["id"], Role.NURSE)
    await api.ok(TIMELINE, {"id": client["id"], "atLeast": joined}, role=Role.NURSE)
    query = """subscription($id: UUID!, $after: Seq) {
      timeline(clientId: $id, after: $after) { position type } }"""
    # From the last position read, not from whenever the server gets to it
    variables = {"id": client["id"], "after": joined}
    zone = api.platform.medication.zone
    async with api.subscription(api.token(Role.NURSE), query, variables) as ws:
        await recorded(
            api, PRESCRIBE, Role.PRESCRIBER,
            clientId=client["id"], medication="buprenorphine", dose="8", unit="mg",
            route="sublingual", start=str(program_day(datetime.now(UTC), zone)),
        )  # fmt: skip
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))

    assert message["type"] == "next"
    assert message["payload"]["data"]["timeline"]["type"] == "medication.MedicationPrescribed"
