"""A program admin closes their program for a day with closeProgram: every session of its
clients beginning then is cancelled (a group once), answered with how many, none named;
other programs' sessions and those outside the span are left, and sent again it cancels
nothing more. Before, the admin needed each session's id, and read no therapy to find one."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from test_therapy_group_cancellation_api import admin_of, cancelled, refusal
from test_therapy_sessions_api import ENROLL, SCHEDULE, Clinic, booking

from carecoord.events import Role
from support import Api, ago, ahead

pytestmark = pytest.mark.shared_platform

CLOSE = """mutation($input: CloseProgramInput!) {
  closeProgram(input: $input) { id position sessionsCancelled clientsCancelled } }"""


class ProgramClinic(Clinic):
    """A therapist of a program of the test's own: a closure of it touches no other test's."""

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.program = f"Closure {uuid4().hex[:8]}"

    async def enroll(self, name: str, days_ago: float = 30) -> str:
        given = {"displayName": name, "program": self.program, "occurredAt": ago(days=days_ago)}
        data = await self.api.ok(ENROLL, {"input": given}, role=Role.PROGRAM_ADMIN)
        client_id = str(data["enrollClient"]["id"])
        joined = await self.api.join_care_team(client_id, Role.THERAPIST, self.therapist)
        self.position = max(self.position, joined)
        return client_id


async def closed(api: Api, token: str, given: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})
    body = {"query": CLOSE, "variables": {"input": given}}
    return await api.http.post("/graphql", json=body, headers=headers)


async def test_a_program_admin_closes_a_day_of_their_programs_sessions(api: Api) -> None:
    clinic, elsewhere = ProgramClinic(api), ProgramClinic(api)
    ann, bea, cal = [await clinic.enroll(name) for name in ("Ann", "Bea", "Cal")]
    dov = await elsewhere.enroll("Dov")
    alone = await clinic.send(SCHEDULE, **booking((ann,), ahead(days=2, hours=2), ago(days=1)))
    group = await clinic.send(SCHEDULE, **booking((bea, cal), ahead(days=2, hours=5), ago(days=1)))
    later = await clinic.send(SCHEDULE, **booking((ann,), ahead(days=3, hours=2), ago(days=1)))
    await elsewhere.send(SCHEDULE, **booking((dov,), ahead(days=2, hours=2), ago(days=1)))
    day = {"from": ahead(days=2), "until": ahead(days=3), "note": "snowstorm"}
    admin = admin_of(api, clinic.program)

    first = (await closed(api, admin, day, key="close-1")).json()["data"]["closeProgram"]
    replayed = await closed(api, admin, day, key="close-1")
    again = (await closed(api, admin, day)).json()["data"]["closeProgram"]

    assert (first["sessionsCancelled"], first["clientsCancelled"]) == (2, 3)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.json()["data"]["closeProgram"] == first
    assert (again["id"], again["sessionsCancelled"], again["clientsCancelled"]) == (
        first["id"], 0, 0,
    )  # fmt: skip
    clinic.position = elsewhere.position = first["position"]
    assert [(f["session_id"], f["reason"]) for f in await cancelled(clinic, ann)] == [
        (alone, "program_closure")
    ]
    for member in (bea, cal):
        assert [f["session_id"] for f in await cancelled(clinic, member)] == [group]
    assert later not in {f["session_id"] for f in await cancelled(clinic, ann)}
    assert await cancelled(elsewhere, dov) == []


async def test_only_a_program_admin_closes_and_a_span_or_note_it_cannot_take_is_refused(
    api: Api,
) -> None:
    clinic = ProgramClinic(api)
    ann = await clinic.enroll("Ann")
    await clinic.send(SCHEDULE, **booking((ann,), ahead(days=2, hours=2), ago(days=1)))
    admin = admin_of(api, clinic.program)
    day = {"from": ahead(days=2), "until": ahead(days=3)}

    therapist = await api.gql(CLOSE, {"input": day}, role=Role.THERAPIST, user=clinic.therapist)
    unscoped = await api.gql(CLOSE, {"input": day}, role=Role.PROGRAM_ADMIN)
    hostile = {
        ("until", "until-after-from"): day | {"until": ahead(days=1)},
        ("until", "closure-span"): day | {"until": ahead(days=10)},
        ("until", "closure-over"): {"from": ago(days=2), "until": ago(days=1)},
        ("from", "booking-horizon"): {"from": ahead(days=400), "until": ahead(days=401)},
        ("note", "closure-note"): day | {"note": "x" * 501},
        ("from", "time-offset"): day | {"from": ahead(days=2)[:19]},  # no offset
    }
    assert refusal(therapist) == ("FORBIDDEN", "role", "role-may-record")
    assert refusal(unscoped) == ("FORBIDDEN", "program", "admin-program")
    for (field, rule), given in hostile.items():
        body = await api.gql(CLOSE, {"input": given}, token=admin)
        assert refusal(body) == ("BAD_USER_INPUT", field, rule), given
    assert await cancelled(clinic, ann) == []


async def test_a_closure_losing_its_key_to_another_sent_at_once_says_what_it_cancelled(
    api: Api,
) -> None:
    """Two closures sent at once with one Idempotency-Key: the one refused for the key had
    cancelled its day's sessions too, and said nothing was recorded."""
    clinic = ProgramClinic(api)
    first, second = await clinic.enroll("Ann"), await clinic.enroll("Bea")
    await clinic.send(SCHEDULE, **booking((first,), ahead(days=2, hours=2), ago(days=1)))
    await clinic.send(SCHEDULE, **booking((second,), ahead(days=3, hours=2), ago(days=1)))
    admin = admin_of(api, clinic.program)
    days = [{"from": ahead(days=n), "until": ahead(days=n + 1)} for n in (2, 3)]

    answers = await asyncio.gather(*(closed(api, admin, day, key="storm") for day in days))

    bodies = [answer.json() for answer in answers]
    clinic.position = max(
        b["data"]["closeProgram"]["position"] for b in bodies if b["data"]["closeProgram"]
    )
    for body, client in zip(bodies, (first, second), strict=True):
        if body["data"]["closeProgram"] is None:
            [error] = body["errors"]
            said_cancelled = "sessions of 1 clients are cancelled" in error["message"]
            assert said_cancelled == bool(await cancelled(clinic, client)), error["message"]


async def test_a_session_beginning_while_the_program_is_closed_is_refused(api: Api) -> None:
    """Booked once the program is closed, a session (one client's or a group's) beginning in
    the span is refused naming scheduledFor, and no timeline holds it; one beginning as the
    span ends is booked. Before, it was booked into the closed day."""
    clinic = ProgramClinic(api)
    ann, bea = await clinic.enroll("Ann"), await clinic.enroll("Bea")
    day = {"from": ahead(days=2), "until": ahead(days=3)}
    answer = await closed(api, admin_of(api, clinic.program), day)
    assert answer.json()["data"]["closeProgram"]["sessionsCancelled"] == 0

    for members in ((ann,), (ann, bea)):
        given = booking(members, ahead(days=2, hours=5), ago(minutes=1))
        refused = await clinic.refusal(SCHEDULE, **given)
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "RULE_VIOLATION", "scheduledFor", "program-closed",
        )  # fmt: skip
        assert "the program is closed from " in refused["message"]
    after = await clinic.send(SCHEDULE, **booking((ann,), day["until"], ago(minutes=1)))

    scheduled = [
        n["facts"]["session_id"]
        for n in await clinic.timeline(ann)
        if n["type"] == "therapy.SessionScheduled"
    ]
    assert scheduled == [after]
