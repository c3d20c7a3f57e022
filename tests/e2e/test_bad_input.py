"""Bad input gets an error that names the field and the reason, and records nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from typing import Any

import pytest
from medication_steps import INDUCTED

from carecoord.events import Role
from support import ASSIGN_CARE_TEAM_MEMBER, Api

# Each test enrolls its own clients and reads nothing beyond them.
pytestmark = pytest.mark.shared_platform

PRESCRIBE = (
    """mutation($input: PrescribeInput!) { prescribeMedication(input: $input) { id position } }"""
)
ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
JSON = {"Content-Type": "application/json"}


async def enrolled(api: Api) -> str:
    """An enrolled client with prescriber-1 on their care team."""
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Alex", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = str(data["enrollClient"]["id"])
    await api.join_care_team(client_id, Role.PRESCRIBER)
    return client_id


def order(client_id: str, **changes: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "clientId": client_id,
        "medication": "methadone",
        "dose": "60",
        "acknowledgements": [INDUCTED],
        "unit": "mg",
        "route": "oral",
        "start": date.today().isoformat(),
    }
    given.update(changes)
    return {k: v for k, v in given.items() if v is not None}


async def refused(
    api: Api, query: str, variables: dict[str, Any], role: Role | None
) -> dict[str, Any]:
    head = await asyncio.to_thread(api.platform.store.last_position)
    body = await api.gql(query, variables, role=role)
    assert body.get("data") is None or all(v is None for v in body["data"].values())
    assert len(body["errors"]) == 1
    assert await asyncio.to_thread(api.platform.store.last_position) == head, "nothing recorded"
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"dose": "-5"}, "dose", "BAD_USER_INPUT"),
        ({"dose": "0"}, "dose", "BAD_USER_INPUT"),
        ({"medication": "unobtainium"}, "medication", "BAD_USER_INPUT"),
        ({"route": "intravenous"}, "route", "BAD_USER_INPUT"),
        ({"end": "2025-12-01"}, "end", "BAD_USER_INPUT"),
        ({"schedule": {"timesPerDay": 0}}, "schedule.timesPerDay", "BAD_USER_INPUT"),
    ],
)
async def test_invalid_values_are_refused_naming_the_field(
    api: Api, changes: dict[str, Any], field: str, code: str
) -> None:
    client_id = await enrolled(api)
    error = await refused(api, PRESCRIBE, {"input": order(client_id, **changes)}, Role.PRESCRIBER)
    assert error["extensions"]["code"] == code
    assert error["extensions"]["field"] == field
    assert error["message"]


async def test_unknown_client_is_refused(api: Api) -> None:
    unknown = str(uuid.uuid4())
    assign = {"input": {"clientId": unknown, "memberId": "nurse-1", "role": "NURSE"}}
    error = await refused(api, ASSIGN_CARE_TEAM_MEMBER, assign, Role.PROGRAM_ADMIN)
    assert error["extensions"] == {
        "code": "NOT_FOUND",
        "field": "clientId",
        "rule": "unknown-client",
    }
    assert "enroll the client first" in error["message"]
    # A clinician learns no more about an unknown client than about anyone not theirs.
    clinician = await refused(api, PRESCRIBE, {"input": order(unknown)}, Role.PRESCRIBER)
    assert clinician["extensions"]["rule"] == "care-team-member"


async def test_missing_field_is_refused_by_the_schema(api: Api) -> None:
    client_id = await enrolled(api)
    error = await refused(api, PRESCRIBE, {"input": order(client_id, dose=None)}, Role.PRESCRIBER)
    assert "dose" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_malformed_id_is_refused_by_the_schema(api: Api) -> None:
    error = await refused(api, PRESCRIBE, {"input": order("not-a-uuid")}, Role.PRESCRIBER)
    assert "clientId" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize("dose", ["6_0", "\uff16\uff10", "\u0666\u0660", "6e1", " 60", "Infinity"])
async def test_a_number_not_written_plainly_is_refused_by_the_schema(api: Api, dose: str) -> None:
    # Python's Decimal reads each of these (the first three as 60); a dose nobody typed.
    client_id = await enrolled(api)
    error = await refused(api, PRESCRIBE, {"input": order(client_id, dose=dose)}, Role.PRESCRIBER)
    assert "dose" in error["message"]
    assert "with the digits 0-9" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("59.99999999999999999999", "more than 12 decimal places"),  # was read as 60
        ("6e1", "with the digits 0-9"),  # was read as 60
        ("0.0000001", "0.0000001"),  # was quoted as 1e-07
    ],
)
async def test_a_dose_sent_as_a_json_number_is_read_as_written(
    api: Api, number: str, says: str
) -> None:
    """The standard library reads a JSON number with a fraction as a float, some 17 digits:
    a dose no text form would pass was recorded as the float nearest it."""
    client_id = await enrolled(api)
    head = await asyncio.to_thread(api.platform.store.last_position)
    variables = json.dumps({"input": order(client_id, dose="DOSE")}).replace('"DOSE"', number)
    response = await api.http.post(
        "/graphql",
        content=f'{{"query": {json.dumps(PRESCRIBE)}, "variables": {variables}}}',
        headers={"Authorization": f"Bearer {api.token(Role.PRESCRIBER)}", **JSON},
    )
    [error] = response.json()["errors"]
    assert "dose" in error["message"]
    assert says in error["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head, "nothing recorded"
    written = json.dumps({"input": order(client_id, dose="DOSE")}).replace('"DOSE"', "60.5")
    taken = await api.http.post(
        "/graphql",
        content=f'{{"query": {json.dumps(PRESCRIBE)}, "variables": {written}}}',
        headers={"Authorization": f"Bearer {api.token(Role.PRESCRIBER)}", **JSON},
    )
    assert taken.json()["data"]["prescribeMedication"]["id"]


@pytest.mark.parametrize(
    ("number", "read"), [("0.99999999999999999", None), ("2.0000000000000001", None), ("2.0", 2)]
)
async def test_an_int_sent_as_a_json_number_is_read_as_written(
    api: Api, number: str, read: int | None
) -> None:
    """graphql-js reads 2.0 as the Int 2 and refuses 1.5; 0.99999999999999999 it reads as 1
    only as its JSON reading loses the digits that say it is no integer, and so did ours: an
    order split into "0.99999999999999999" doses a day was written for one."""
    client_id = await enrolled(api)
    head = await asyncio.to_thread(api.platform.store.last_position)
    given = order(client_id, schedule={"timesPerDay": "TIMES"})
    variables = json.dumps({"input": given}).replace('"TIMES"', number)
    response = await api.http.post(
        "/graphql",
        content=f'{{"query": {json.dumps(PRESCRIBE)}, "variables": {variables}}}',
        headers={"Authorization": f"Bearer {api.token(Role.PRESCRIBER)}", **JSON},
    )
    body = response.json()
    if read is None:
        [error] = body["errors"]
        assert error["extensions"]["field"] == "schedule.timesPerDay"
        assert f"Int cannot represent non-integer value: {number}" in error["message"]
        assert await asyncio.to_thread(api.platform.store.last_position) == head, "nothing recorded"
    else:
        assert body["data"]["prescribeMedication"]["id"]


async def test_a_time_at_24_00_is_refused_naming_the_field(api: Api) -> None:
    """ISO 8601's end of a day was read as the next day's midnight: a time given "at 24:00
    on the 1st" was recorded on the 2nd."""
    client_id = await enrolled(api)
    changes = {"occurredAt": "2026-01-01T24:00:00Z"}
    error = await refused(api, PRESCRIBE, {"input": order(client_id, **changes)}, Role.PRESCRIBER)
    assert error["extensions"]["field"] == "occurredAt"
    assert "24:00 is the day's end" in error["message"]


async def test_no_token_records_nothing(api: Api) -> None:
    error = await refused(api, ENROLL, {"input": {"displayName": "A", "program": "P"}}, None)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_wrong_role_records_nothing(api: Api) -> None:
    client_id = await enrolled(api)
    error = await refused(api, PRESCRIBE, {"input": order(client_id)}, Role.NURSE)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "prescriber" in error["message"]


async def test_a_forged_token_records_nothing(api: Api) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)
    body = await api.gql(
        ENROLL,
        {"input": {"displayName": "A", "program": "P"}},
        token=api.token(Role.PROGRAM_ADMIN) + "x",
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await asyncio.to_thread(api.platform.store.last_position) == head


async def test_one_refused_mutation_of_several_hides_none_the_others_recorded(api: Api) -> None:
    """A document's mutations run in turn, each recording its own: the caller sees every
    one that was recorded beside the one refused, and does not record those again."""
    three = """mutation {
      a: enrollClient(input: {displayName: "Avery", program: "OTP"}) { id position }
      b: enrollClient(input: {displayName: "", program: "OTP"}) { id position }
      c: enrollClient(input: {displayName: "Casey", program: "OTP"}) { id position } }"""
    head = await asyncio.to_thread(api.platform.store.last_position)
    body = await api.gql(three, role=Role.PROGRAM_ADMIN)
    [error] = body["errors"]
    assert error["path"] == ["b"]
    assert error["extensions"]["field"] == "displayName"
    data = body["data"]
    assert data["b"] is None
    assert head < data["a"]["position"] < data["c"]["position"]
