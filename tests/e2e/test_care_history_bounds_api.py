"""A client's care team, levels of care and goals answer at most the rows one read answers, a
period at a time, and refuse more naming the period's end (``rows-at-most``); what a user
could see at a time refuses more consents naming them than that, naming ``userId``. Each
answered a client's years in care whole, however many rows they made. What fits reads as
before. The bound is lowered here: the code reads it as it answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from test_access import CONSENT

from carecoord.events import Role
from carecoord.graphql import log_pages
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
LEVEL = mutation("ChangeLevelOfCareInput", "changeLevelOfCare")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
PROGRESS = mutation("RecordGoalProgressInput", "recordGoalProgress")
TEAM = """query($id: UUID!, $atLeast: Seq, $from: DateTime, $to: DateTime) {
  careTeam(clientId: $id, atLeast: $atLeast, startedFrom: $from, startedTo: $to) {
    memberId startedAt } }"""
LEVELS = """query($id: UUID!, $atLeast: Seq, $from: DateTime, $to: DateTime) {
  levelOfCareHistory(clientId: $id, atLeast: $atLeast, occurredFrom: $from, occurredTo: $to) {
    level since until } }"""
GOALS = """query($id: UUID!, $atLeast: Seq, $from: DateTime, $to: DateTime) {
  clientGoals(clientId: $id, atLeast: $atLeast, setFrom: $from, setTo: $to) {
    goalId setAt history } }"""
AS_OF = """query($id: UUID!, $at: DateTime!) {
  accessAsOf(userId: "nurse-as-of", role: NURSE, clientId: $id, at: $at) {
    consents { consentId } } }"""
THERAPIST: dict[str, Any] = {"role": Role.THERAPIST, "user": "ther-bound"}


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    return error["extensions"]["field"], error["extensions"]["rule"], error["message"]


async def enrolled(api: Api) -> str:
    enrolment = {"displayName": "Bo", "program": "IOP", "occurredAt": "2026-01-01T10:00:00Z"}
    data = await api.ok(ENROLL, {"input": enrolment}, role=Role.PROGRAM_ADMIN)
    client_id: str = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST["user"])
    return client_id


async def as_therapist(api: Api, query: str, client_id: str, **given: Any) -> dict[str, Any]:
    body = await api.ok(query, {"input": {"clientId": client_id, **given}}, **THERAPIST)
    [recorded] = body.values()
    return dict(recorded)


async def refused_then_periods(
    api: Api, query: str, variables: dict[str, Any], split: str, end: str, key: str
) -> list[Any]:
    """The read refused naming ``end``, then read as two periods split at ``split``."""
    field, rule, message = refusal(await api.gql(query, variables, **THERAPIST))
    assert (field, rule) == (end, "rows-at-most")
    assert "more than 2 " in message
    read: list[Any] = []
    for period in ({"to": split}, {"from": split}):
        body = await api.gql(query, {**variables, **period}, **THERAPIST)
        assert not body.get("errors"), body["errors"]
        [rows] = body["data"].values()
        read += [r[key] for r in rows]
    return read


async def test_a_care_team_past_the_most_rows_is_refused_and_read_as_periods(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = await enrolled(api)
    await api.join_care_team(client_id, Role.NURSE, "nurse-bound")
    position = await api.join_care_team(client_id, Role.PRESCRIBER, "dr-bound")
    variables = {"id": client_id, "atLeast": position}
    whole = (await api.ok(TEAM, variables, **THERAPIST))["careTeam"]
    assert len(whole) == 3
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    split = whole[1]["startedAt"]
    read = await refused_then_periods(api, TEAM, variables, split, "startedTo", "memberId")
    assert read == [m["memberId"] for m in whole]


async def test_levels_of_care_past_the_most_rows_are_refused_and_read_as_periods(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = await enrolled(api)
    for level, when in (
        ("RESIDENTIAL", "2026-01-02T10:00:00Z"),
        ("INTENSIVE_OUTPATIENT", "2026-02-01T10:00:00Z"),
        ("OUTPATIENT", "2026-03-01T10:00:00Z"),
    ):
        changed = await as_therapist(
            api, LEVEL, client_id, level=level, asamLevel="2.1", occurredAt=when
        )
    variables = {"id": client_id, "atLeast": changed["position"]}
    whole = (await api.ok(LEVELS, variables, **THERAPIST))["levelOfCareHistory"]
    assert len(whole) == 3
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    split = "2026-02-01T10:00:00Z"
    read = await refused_then_periods(api, LEVELS, variables, split, "occurredTo", "since")
    assert read == [s["since"] for s in whole]
    first = (await api.ok(LEVELS, {**variables, "to": split}, **THERAPIST))["levelOfCareHistory"]
    assert first == whole[:1]  # its end is the next change's, though that is in the next period


async def test_goals_past_the_most_rows_are_refused_and_read_as_periods(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = await enrolled(api)
    sleep = await as_therapist(api, GOAL, client_id, description="Sleep")
    await as_therapist(api, PROGRESS, client_id, goalId=sleep["id"], achievement="IMPROVING")
    work = await as_therapist(api, GOAL, client_id, description="Work")
    variables = {"id": client_id, "atLeast": work["position"]}
    whole = (await api.ok(GOALS, variables, **THERAPIST))["clientGoals"]
    assert [len(g["history"]) for g in whole] == [1, 0]  # two goals and a step: three rows
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    split = whole[1]["setAt"]
    read = await refused_then_periods(api, GOALS, variables, split, "setTo", "goalId")
    assert read == [g["goalId"] for g in whole]


async def test_consents_naming_a_user_past_the_most_rows_refuse_what_they_could_see(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = await enrolled(api)
    for n, kinds in enumerate((["CARE"], ["CARE", "ALERT"], ["CARE", "CHECK_IN"])):
        consent = {
            "clientId": client_id, "purpose": "treatment", "dataKinds": kinds,
            "recipients": [{"type": "MEMBER", "id": "nurse-as-of", "name": f"Nurse {n}"}],
            "signedOn": str(datetime.now(UTC).date()), "signedBy": "Bo",
            "expiryEvent": "end of treatment",
        }  # fmt: skip
        await api.ok(CONSENT, {"input": consent}, role=Role.PROGRAM_ADMIN)
    variables = {"id": client_id, "at": datetime.now(UTC).isoformat()}
    auditor: dict[str, Any] = {"role": Role.AUDITOR, "user": "auditor-1"}
    whole = (await api.ok(AS_OF, variables, **auditor))["accessAsOf"]
    assert len(whole["consents"]) == 3
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    field, rule, message = refusal(await api.gql(AS_OF, variables, **auditor))
    assert (field, rule) == ("userId", "rows-at-most")
    assert "more than 2 consents" in message
