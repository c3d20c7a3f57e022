"""A level of care, a treatment goal and its progress are dated when they happened: in the
future, a level before the enrolment or before the current one began, or progress before its
goal was set is refused naming ``occurredAt``, and nothing is recorded. Before, a move to
residential dated 2100 was accepted (every later move was then "the same level"), a goal
was marked achieved in 2100, and a level dated before the current one began made a stint
that ended before it started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
LEVEL = mutation("ChangeLevelOfCareInput", "changeLevelOfCare")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
PROGRESS = mutation("RecordGoalProgressInput", "recordGoalProgress")
HISTORY = """query($id: UUID!, $atLeast: Seq) {
  levelOfCareHistory(clientId: $id, atLeast: $atLeast) { level since } }"""
ASAM_HISTORY = """query($id: UUID!, $atLeast: Seq) {
  levelOfCareHistory(clientId: $id, atLeast: $atLeast) { asamLevel } }"""
GOALS = """query($id: UUID!, $atLeast: Seq) {
  clientGoals(clientId: $id, atLeast: $atLeast) { description achievement history } }"""
THERAPIST = "ther-plan"
LATER = "2100-01-01T09:00:00Z"


async def as_therapist(api: Api, query: str, **given: Any) -> dict[str, Any]:
    return await api.gql(query, {"input": given}, role=Role.THERAPIST, user=THERAPIST)


def refused(body: dict[str, Any], rule: str) -> None:
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "occurredAt", "rule": rule,
    }, error  # fmt: skip


async def test_plan_changes_dated_out_of_order_are_refused(api: Api) -> None:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Vic", "program": "IOP", "occurredAt": "2026-01-01T10:00:00Z"}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)

    refused(
        await as_therapist(api, LEVEL, clientId=client_id, level="RESIDENTIAL", occurredAt=LATER),
        "not-in-future",
    )
    refused(
        await as_therapist(
            api, LEVEL, clientId=client_id, level="RESIDENTIAL", occurredAt="2025-12-01T10:00:00Z"
        ),
        "after-enrolment",
    )
    moved = await as_therapist(
        api, LEVEL, clientId=client_id, level="RESIDENTIAL", occurredAt="2026-02-01T10:00:00Z"
    )
    assert not moved.get("errors"), moved
    refused(
        await as_therapist(
            api,
            LEVEL,
            clientId=client_id,
            level="INTENSIVE_OUTPATIENT",
            occurredAt="2026-01-15T10:00:00Z",
        ),
        "in-order",
    )

    refused(
        await as_therapist(api, GOAL, clientId=client_id, description="Work", occurredAt=LATER),
        "not-in-future",
    )
    goal = await as_therapist(
        api, GOAL, clientId=client_id, description="Walk daily", occurredAt="2026-03-01T10:00:00Z"
    )
    goal_id = goal["data"]["setTreatmentGoal"]["id"]
    for when, rule in ((LATER, "not-in-future"), ("2026-02-01T10:00:00Z", "in-order")):
        refused(
            await as_therapist(
                api,
                PROGRESS,
                clientId=client_id,
                goalId=goal_id,
                achievement="ACHIEVED",
                occurredAt=when,
            ),
            rule,
        )
    done = await as_therapist(
        api, PROGRESS, clientId=client_id, goalId=goal_id, achievement="IMPROVING"
    )
    position = done["data"]["recordGoalProgress"]["position"]

    levels = await api.ok(
        HISTORY, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    assert [s["level"] for s in levels["levelOfCareHistory"]] == ["RESIDENTIAL"]
    goals = await api.ok(
        GOALS, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    [kept] = goals["clientGoals"]
    assert (kept["description"], kept["achievement"]) == ("Walk daily", "IMPROVING")
    assert len(kept["history"]) == 1, "the refused steps recorded nothing"


async def test_an_enrolment_dated_in_the_future_is_refused(api: Api) -> None:
    """Before, an enrolment dated 2100 was accepted: every level, dose or check-in recorded
    for the client after it was refused as before their enrolment."""
    body = await api.gql(
        ENROLL,
        {"input": {"displayName": "Wyn", "program": "IOP", "occurredAt": LATER}},
        role=Role.PROGRAM_ADMIN,
    )

    refused(body, "not-in-future")
    assert body["data"] == {"enrollClient": None}, "nothing is enrolled"


async def test_goal_progress_dated_before_its_latest_progress_is_refused(api: Api) -> None:
    """Before, "achieved" dated before an "improving" already recorded was accepted: the goal
    was closed as achieved, its history read improving then achieved out of order, and the
    later assessment could no longer be followed by any."""
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Xan", "program": "IOP", "occurredAt": "2026-01-01T10:00:00Z"}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    goal = await as_therapist(
        api, GOAL, clientId=client_id, description="Sleep", occurredAt="2026-02-01T10:00:00Z"
    )
    goal_id = goal["data"]["setTreatmentGoal"]["id"]
    step = {"clientId": client_id, "goalId": goal_id}
    improving = await as_therapist(
        api, PROGRESS, **step, achievement="IMPROVING", occurredAt="2026-03-01T10:00:00Z"
    )
    assert not improving.get("errors"), improving

    refused(
        await as_therapist(
            api, PROGRESS, **step, achievement="ACHIEVED", occurredAt="2026-02-15T10:00:00Z"
        ),
        "in-order",
    )

    position = improving["data"]["recordGoalProgress"]["position"]
    goals = await api.ok(
        GOALS, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    [kept] = goals["clientGoals"]
    assert kept["achievement"] == "IMPROVING"
    assert [s["achievement"] for s in kept["history"]] == ["improving"]


async def test_a_level_dated_within_the_clock_tolerance_ahead_counts_from_now(api: Api) -> None:
    """Before, a move to residential dated four minutes ahead (within the clock tolerance)
    was kept at that time: a move to outpatient recorded just after it, at now, was read as
    the move before it, and the care history showed the client in residential still."""
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Zed", "program": "IOP", "occurredAt": "2026-01-01T10:00:00Z"}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    ahead = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()

    await as_therapist(api, LEVEL, clientId=client_id, level="RESIDENTIAL", occurredAt=ahead)
    moved = await as_therapist(api, LEVEL, clientId=client_id, level="OUTPATIENT")

    position = moved["data"]["changeLevelOfCare"]["position"]
    levels = await api.ok(
        HISTORY, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    assert [s["level"] for s in levels["levelOfCareHistory"]] == ["RESIDENTIAL", "OUTPATIENT"]


async def test_a_move_between_asam_levels_of_one_level_of_care_is_a_stint(api: Api) -> None:
    """Before, a move within residential from ASAM 3.5 to 3.7 was refused as "already at
    residential; nothing changes" (same-level), and the care history kept 3.5; the same
    level and ASAM level, or no ASAM level, is still no move."""
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Ash", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    level = {"clientId": client_id, "level": "RESIDENTIAL"}
    await as_therapist(api, LEVEL, **level, asamLevel="3.5")

    moved = await as_therapist(api, LEVEL, **level, asamLevel="3.7")

    assert not moved.get("errors"), moved
    for asam in ("3.7", ""):
        same = await as_therapist(api, LEVEL, **level, asamLevel=asam)
        [error] = same["errors"]
        assert error["extensions"]["rule"] == "same-level", asam
    position = moved["data"]["changeLevelOfCare"]["position"]
    levels = await api.ok(
        ASAM_HISTORY, {"id": client_id, "atLeast": position}, role=Role.THERAPIST, user=THERAPIST
    )
    assert [s["asamLevel"] for s in levels["levelOfCareHistory"]] == ["3.5", "3.7"]
