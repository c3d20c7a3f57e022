"""Alerts on "in a row" and "the latest" go by when things happened, not when they were
entered: a session outcome or a craving entered late counts where it belongs. Before, a
no-show entered after a later attended session made a run with the next no-show (and an
attended session entered late broke a run it was not in), and cravings from paper entered
after a newer reading raised a rise the newer reading had already ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from carecoord.events import Role
from support import Api, ago, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId detail } }"""
THERAPIST = "ther-clinical-order"
PEER = "peer-clinical-order"


class Client:
    """One client's record through the API, by the therapist and peer supporter on its team.
    Each client has a therapist of their own: one therapist leads one session at a time, and
    the clients of a test are booked for the same times."""

    def __init__(self, api: Api, client_id: str, therapist: str) -> None:
        self.api, self.client_id, self.position = api, client_id, 0
        self.therapist = therapist

    async def send(self, query: str, role: Role, user: str, **given: Any) -> str:
        data = await self.api.ok(query, {"input": given}, role=role, user=user)
        [answer] = data.values()
        self.position = max(self.position, int(answer["position"]))
        return str(answer["id"])

    async def session(self, began: datetime, outcome: str) -> str:
        session_id = await self.send(
            SCHEDULE, Role.THERAPIST, self.therapist, clientIds=[self.client_id], modality="CBT",
            format="INDIVIDUAL", scheduledFor=began.isoformat(), plannedMinutes=50,
        )  # fmt: skip
        await self.send(
            ATTENDANCE, Role.THERAPIST, self.therapist, sessionId=session_id,
            attendance=[{"clientId": self.client_id, "outcome": outcome}],
            durationMinutes=50 if outcome == "ATTENDED" else None,
        )  # fmt: skip
        return session_id

    async def check_in(self, taken: datetime, **measures: int) -> None:
        await self.send(
            CHECK_IN, Role.PEER_SUPPORTER, PEER, clientId=self.client_id,
            occurredAt=taken.isoformat(), **measures,
        )  # fmt: skip

    async def alerts(self) -> list[tuple[str, str]]:
        data = await self.api.ok(
            ALERTS, {"id": self.client_id, "atLeast": self.position}, role=Role.THERAPIST,
            user=self.therapist,
        )  # fmt: skip
        return [(a["ruleId"], a["detail"]) for a in data["clientAlerts"]]


async def enrolled(api: Api) -> Client:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Rene", "program": "IOP", "occurredAt": ago(days=30)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    therapist = f"{THERAPIST}-{uuid4().hex[:8]}"
    await api.join_care_team(client_id, Role.THERAPIST, therapist)
    await api.join_care_team(client_id, Role.PEER_SUPPORTER, PEER)
    return Client(api, client_id, therapist)


async def test_no_shows_in_a_row_are_counted_in_the_order_sessions_began(api: Api) -> None:
    now = datetime.now(UTC)
    monday = now - timedelta(days=4)

    apart = await enrolled(api)
    await apart.session(monday + timedelta(days=2), "ATTENDED")
    await apart.session(monday, "NO_SHOW")  # entered after Wednesday's attendance
    await apart.session(now - timedelta(hours=1), "NO_SHOW")
    assert await apart.alerts() == [], "Wednesday's attendance is between the two no-shows"

    in_a_row = await enrolled(api)
    await in_a_row.session(monday, "NO_SHOW")
    await in_a_row.session(monday - timedelta(days=7), "ATTENDED")  # last week's, entered late
    await in_a_row.session(now - timedelta(hours=1), "NO_SHOW")
    assert await in_a_row.alerts() == [("repeated-no-shows", "2 consecutive no-shows")]


async def test_cravings_entered_late_count_where_they_were_taken(api: Api) -> None:
    client = await enrolled(api)
    start = datetime.now(UTC) - timedelta(minutes=5)  # every reading taken by now
    for n, value in enumerate((40, 35, 45, 38, 42)):  # baseline 40
        await client.check_in(start + timedelta(seconds=n + 1), craving=value)
    await client.check_in(start + timedelta(seconds=60), craving=30)
    for n, value in enumerate((62, 65, 70)):  # from paper: taken before the 30
        await client.check_in(start + timedelta(seconds=30 + n), craving=value)
    assert await client.alerts() == [], "taken in that order, the latest reading is 30"
    for n, value in enumerate((66, 72, 75)):
        await client.check_in(start + timedelta(seconds=61 + n), craving=value)
    assert [rule for rule, _ in await client.alerts()] == ["craving-rise"]


async def test_a_run_of_low_moods_against_the_clients_own_raises_a_mood_drop(api: Api) -> None:
    client = await enrolled(api)
    start = datetime.now(UTC) - timedelta(minutes=5)
    for n, value in enumerate((7, 6, 8, 7, 7)):  # baseline 7
        await client.check_in(start + timedelta(seconds=n + 1), mood=value)
    for n, value in enumerate((3, 5, 3)):
        await client.check_in(start + timedelta(seconds=10 + n), mood=value)
    assert await client.alerts() == [], "5 is not 3 below the baseline"
    await client.check_in(start + timedelta(seconds=20), mood=4)
    await client.check_in(start + timedelta(seconds=21), mood=2)
    assert await client.alerts() == [
        ("mood-drop", "mood 3, 4, 2 against a baseline of 7 (last 7 readings)")
    ]
