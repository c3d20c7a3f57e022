"""An optional ASAM level, level-of-care reason or goal-progress note that shows nothing
(zero-width characters, a word joiner) is recorded as none. Before, each was kept: the FHIR
export carried a Goal note with no text a reader sees and an EpisodeOfCare typed
"residential (ASAM <U+200B>)", and the care history an ASAM level that read as blank."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
LEVEL = mutation("ChangeLevelOfCareInput", "changeLevelOfCare")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
PROGRESS = mutation("RecordGoalProgressInput", "recordGoalProgress")
READ = """query($id: UUID!, $atLeast: Seq) {
  levelOfCareHistory(clientId: $id, atLeast: $atLeast) { asamLevel reason }
  clientGoals(clientId: $id, atLeast: $atLeast) { history } }"""
THERAPIST = "ther-blank"
SHOWS_NOTHING = "\u200b\u2060 "


async def test_optional_plan_texts_that_show_nothing_are_none(api: Api) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Yu", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)

    async def as_therapist(query: str, **given: str) -> dict[str, str]:
        body = await api.ok(query, {"input": {"clientId": client_id, **given}},
                            role=Role.THERAPIST, user=THERAPIST)  # fmt: skip
        [recorded] = body.values()
        return dict(recorded)

    await as_therapist(LEVEL, level="RESIDENTIAL", asamLevel=SHOWS_NOTHING, reason=SHOWS_NOTHING)
    goal = await as_therapist(GOAL, description="Sleep")
    step = await as_therapist(
        PROGRESS, goalId=goal["id"], achievement="IMPROVING", note=SHOWS_NOTHING
    )

    read = {"id": client_id, "atLeast": step["position"]}
    found = await api.ok(READ, read, role=Role.THERAPIST, user=THERAPIST)
    assert found["levelOfCareHistory"] == [{"asamLevel": "", "reason": ""}]
    [kept] = found["clientGoals"]
    assert [s["note"] for s in kept["history"]] == [""]
