"""checkInSeries refuses a measure it holds none of, naming its place (measures.N,
unknown-measure) and listing those it holds: asked for ``PHQ9`` (the instrument as
scoreInstrument names it) where the series calls it ``PHQ-9``, or a mistyped one, it
answered no points, which read as a client never screened. The refusal is not logged as a
read of the client: it was, as one returning none."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import NURSE, Clinic, mutation
from test_access import access_log

from carecoord.events import Role
from support import Api

SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
SERIES = """query($id: UUID!, $measures: [String!], $atLeast: Seq) {
  checkInSeries(clientId: $id, measures: $measures, atLeast: $atLeast) { measure value } }"""


@pytest.mark.shared_platform
async def test_an_unknown_measure_is_refused_naming_it(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Morgan M.")
    answers = [{"item": str(n), "value": 1} for n in range(1, 10)]
    await clinic.nurse(SCORE, instrument="PHQ9", answers=answers)
    who: dict[str, Any] = {"role": Role.NURSE, "user": NURSE}
    at = {"id": clinic.client_id, "atLeast": clinic.position}

    for measures, field in ((["PHQ9"], "measures.0"), (["craving", "phq-9"], "measures.1")):
        body = await api.gql(SERIES, {**at, "measures": measures}, **who)
        [error] = body["errors"]
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT", "field": field, "rule": "unknown-measure"
        }  # fmt: skip
        assert "PHQ-9" in error["message"]
    assert "checkInSeries" not in {e["operation"] for e in await access_log(api, clinic.client_id)}

    found = await api.ok(SERIES, {**at, "measures": ["PHQ-9", "BAM use", "SOWS"]}, **who)
    assert found["checkInSeries"] == [{"measure": "PHQ-9", "value": "9"}]
