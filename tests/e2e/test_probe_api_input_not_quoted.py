"""A refused input object is not quoted back whole. graphql-core's errors for an unknown or
missing field, or a value that is no object, ended ``found: {...}`` with everything the
client sent: a check-in refused for a misspelt field came back with its note ("relapsed at
the party") in the message, which clients, their error reporters and the proxies between
log and show. The message names the type and the field, ``extensions.field`` names the
field itself (it named the object holding it: ``input``, ``bottles.0``), and the input is
refused before anything runs, over HTTP and the websocket alike."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

NOTE = "relapsed at the party, kumquat 5521"
CLIENT = "71a77d39-08f7-5f4d-ac1d-a6a77f9d59ac"
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
CASES = [
    (
        {"clientId": CLIENT, "mood": 5, "note": NOTE, "moood": 5},
        "Expected value of type 'RecordCheckInInput' not to include unknown field 'moood'",
        "moood",
    ),
    (
        {"mood": 5, "note": NOTE},
        "Expected value of type 'RecordCheckInInput' to include required field 'clientId'.",
        "clientId",
    ),
]


@pytest.mark.parametrize(("sent", "said", "field"), CASES, ids=["unknown-field", "missing-field"])
async def test_a_refused_input_is_named_not_quoted(
    api: Api, sent: Any, said: str, field: str
) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)
    inline = CHECK_IN.replace("$input: RecordCheckInInput!", "").replace("()", "")
    literal = inline.replace("$input", literal_of(sent))

    answers = [
        await api.gql(CHECK_IN, {"input": sent}, role=Role.PRESCRIBER),
        await api.gql(literal, role=Role.PRESCRIBER),
        await over_the_websocket(api, CHECK_IN, {"input": sent}),
    ]

    for answer in answers:
        [error] = answer["errors"]
        assert said in error["message"], error
        assert NOTE not in json.dumps(answer), answer
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert error["extensions"]["field"] == field, error
    assert await asyncio.to_thread(api.platform.store.last_position) == head


async def test_a_field_missing_inside_a_list_is_named_at_its_place(api: Api) -> None:
    """The PHQ-9's second answer without its value is ``answers.1.value``, not ``answers.1``."""
    answers = [{"item": "1", "value": 0}, {"item": "2"}]
    sent = {"clientId": CLIENT, "instrument": "PHQ9", "answers": answers}
    inline = SCORE.replace("$input: ScoreInstrumentInput!", "").replace("()", "")

    for answer in [
        await api.gql(SCORE, {"input": sent}, role=Role.NURSE),
        await api.gql(inline.replace("$input", literal_of(sent)), role=Role.NURSE),
    ]:
        [error] = answer["errors"]
        assert "to include required field 'value'" in error["message"], error
        assert error["extensions"]["field"] == "answers.1.value", error


def literal_of(value: Any) -> str:
    """``value`` as a GraphQL literal (JSON, with unquoted field names; an enum's name, all
    capitals, unquoted)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal_of(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(literal_of, value)) + "]"
    if isinstance(value, str) and value.isupper() and value.isalnum():
        return value
    return json.dumps(value)


async def over_the_websocket(api: Api, query: str, variables: dict[str, Any]) -> Any:
    async with api.subscription(api.token(Role.PRESCRIBER), query, variables) as ws:
        answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    # a variable that does not coerce is a result with errors (``next``), as the reference
    # server (graphql-ws) sends it; a literal that does not validate is an ``error``
    assert answer["type"] in ("next", "error"), answer
    return answer["payload"] if answer["type"] == "next" else {"errors": answer["payload"]}
