"""A therapist's sessions through the API: one is booked to lead one session at a time, and an
attended session's minutes end by now. Before, one therapist was booked with two clients at
one time, also when the two bookings were sent at once, and 50 minutes were recorded for a
session that had begun ten minutes before. A refusal names the field and records nothing."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest

from carecoord.events import Role
from support import Api, ago, ahead, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) { nodes { type facts } } }"""


class Therapist:
    """A therapist of the test's own (the platform is shared), and their clients."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.id = f"ther-{uuid4().hex[:12]}"

    async def client(self) -> str:
        data = await self.api.ok(
            ENROLL,
            {"input": {"displayName": "Lou", "program": "IOP", "occurredAt": ago(days=30)}},
            role=Role.PROGRAM_ADMIN,
        )
        client_id: str = data["enrollClient"]["id"]
        await self.api.join_care_team(client_id, Role.THERAPIST, self.id)
        return client_id

    async def send(self, query: str, given: dict[str, Any]) -> dict[str, Any]:
        return await self.api.gql(query, {"input": given}, role=Role.THERAPIST, user=self.id)

    async def book(self, client_ids: list[str], when: str, minutes: int = 50) -> dict[str, Any]:
        group = len(client_ids) > 1
        return await self.send(
            SCHEDULE,
            {
                "clientIds": client_ids, "modality": "GROUP" if group else "CBT",
                "format": "GROUP" if group else "INDIVIDUAL", "scheduledFor": when,
                "plannedMinutes": minutes,
            },
        )  # fmt: skip

    async def sessions(self, client_id: str) -> int:
        data = await self.api.ok(TIMELINE, {"id": client_id}, role=Role.THERAPIST, user=self.id)
        nodes = data["clientTimeline"]["nodes"]
        return sum(n["type"] == "therapy.SessionScheduled" for n in nodes)


def refused(body: dict[str, Any], code: str, field: str, rule: str) -> str:
    [error] = body["errors"]
    assert error["extensions"] == {"code": code, "field": field, "rule": rule}, error
    message: str = error["message"]
    return message


async def test_a_therapist_booked_during_a_session_they_lead_is_refused(api: Api) -> None:
    therapist = Therapist(api)
    ana, ben, cy = [await therapist.client() for _ in range(3)]
    when = ahead(days=3)
    group = await therapist.book([ana, ben], when, minutes=90)
    session_id = group["data"]["scheduleSession"]["id"]
    clash = await therapist.book([cy], ahead(days=3, minutes=60))
    message = refused(clash, "RULE_VIOLATION", "scheduledFor", "therapist-booked-then")
    assert session_id in message
    assert therapist.id in message
    assert await therapist.sessions(cy) == 0, "the refused booking recorded nothing"
    after = await therapist.book([cy], ahead(days=3, minutes=90))
    assert not after.get("errors"), after
    assert await therapist.sessions(cy) == 1


async def test_bookings_of_one_therapist_sent_at_once_book_one(api: Api) -> None:
    therapist = Therapist(api)
    members = [await therapist.client() for _ in range(6)]
    when = ahead(days=4)
    answers = await asyncio.gather(*(therapist.book([c], when) for c in members))
    kept = [a for a in answers if not a.get("errors")]
    assert len(kept) == 1, answers
    for answer in answers:
        if answer not in kept:
            refused(answer, "RULE_VIOLATION", "scheduledFor", "therapist-booked-then")
    assert sum([await therapist.sessions(c) for c in members]) == 1


async def test_attended_minutes_that_run_past_now_are_refused(api: Api) -> None:
    therapist = Therapist(api)
    client_id = await therapist.client()
    booked = await therapist.book([client_id], ago(minutes=10))
    session_id = booked["data"]["scheduleSession"]["id"]

    async def attended(minutes: int) -> dict[str, Any]:
        return await therapist.send(
            ATTENDANCE,
            {
                "sessionId": session_id, "durationMinutes": minutes,
                "attendance": [{"clientId": client_id, "outcome": "ATTENDED"}],
            },
        )  # fmt: skip

    message = refused(await attended(50), "BAD_USER_INPUT", "durationMinutes", "not-in-future")
    assert session_id in message
    kept = await attended(10)
    assert not kept.get("errors"), kept
