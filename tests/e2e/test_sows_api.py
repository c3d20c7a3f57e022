"""A client rates their own opioid withdrawal on the SOWS through the API: the platform scores
and bands it, shows it in the series and the timeline, and refuses an answer off its 0-4
scale naming the item; a COWS stays the clinician's."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import NURSE, TIMELINE, Clinic, mutation

from carecoord.events import Role
from support import Api

SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
SERIES = """query($id: UUID!, $atLeast: Seq) {
  checkInSeries(clientId: $id, atLeast: $atLeast) { measure value band source } }"""


def answers(*values: int) -> list[dict[str, Any]]:
    return [{"item": str(n), "value": v} for n, v in enumerate(values, start=1)]


async def by_client(clinic: Clinic, instrument: str, given: list[dict[str, Any]]) -> Any:
    variables = {"i": {"clientId": clinic.client_id, "instrument": instrument, "answers": given}}
    return await clinic.api.gql(SCORE, variables, role=Role.CLIENT, user=clinic.client_id)


async def read(clinic: Clinic, query: str, position: int) -> Any:
    data = await clinic.api.ok(
        query, {"id": clinic.client_id, "atLeast": position}, role=Role.NURSE, user=NURSE
    )
    [result] = data.values()
    return result


@pytest.mark.shared_platform
async def test_a_client_rates_their_withdrawal_on_the_sows(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Rowan S.")
    sows = answers(2, 1, 1, 0, 1, 0, 1, 2, 1, 2, 1, 0, 0, 0, 1, 3)

    recorded = (await by_client(clinic, "SOWS", sows))["data"]["scoreInstrument"]

    series = await read(clinic, SERIES, recorded["position"])
    assert series == [
        {"measure": "SOWS", "value": "16", "band": "moderate", "source": "SELF_REPORT"}
    ]
    timeline = (await read(clinic, TIMELINE, recorded["position"]))["nodes"]
    assert [n["summary"] for n in timeline if n["type"] == "checkins.InstrumentScored"] == [
        "SOWS: 16 (moderate)"
    ]


@pytest.mark.shared_platform
async def test_a_sows_answer_off_its_scale_is_refused_and_a_cows_is_not_the_clients(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Quinn V.")
    off_scale = await by_client(clinic, "SOWS", answers(*[0] * 15, 5))
    [error] = off_scale["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "answers.15.value",
        "answer-out-of-range",
    )
    cows = await by_client(clinic, "COWS", [{"item": "sweating", "value": 1}])
    [error] = cows["errors"]
    assert error["extensions"]["rule"] == "clinician-rated"
    assert await read(clinic, SERIES, clinic.position) == []
