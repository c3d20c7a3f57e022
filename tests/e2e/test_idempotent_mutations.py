"""A retried mutation with its Idempotency-Key answers with its first outcome: the nurse whose
response was lost can send the dose again without giving it twice."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from graphql.execution.values import get_variable_values
from medication_steps import DOSE, DOSING, NURSE, PRESCRIBE, Clinic
from strawberry import Schema

from carecoord.events import Actor, Role
from carecoord.graphql.idempotency import operation_digest
from carecoord.graphql.schema import build_schema
from carecoord.services.infrastructure.idempotency import IdempotencyKey
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.commands import administer_dose
from carecoord.services.medication.dispensing import GivenDose
from graphql import OperationDefinitionNode, parse
from support import Api

ENROLL_TWO = """mutation($a: EnrollClientInput!, $b: EnrollClientInput!) {
  first: enrollClient(input: $a) { id position }
  second: enrollClient(input: $b) { id position } }"""


async def post(
    api: Api,
    query: str,
    variables: dict[str, Any],
    *,
    key: str | None,
    role: Role = Role.NURSE,
    user: str = NURSE,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token(role, user)}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"query": query, "variables": variables}
    return await api.http.post("/graphql", json=body, headers=headers)


async def dosing_client(api: Api, today: date, name: str) -> tuple[Clinic, dict[str, Any]]:
    """An enrolled client with a methadone order from ``today``, and the variables of a dose
    of it."""
    clinic = await Clinic.enroll(api, name)
    order = await clinic.methadone("60", today)
    dose = {
        "clientId": clinic.client_id,
        "orderId": order["id"],
        "amount": "60",
        "dosageForm": "oral solution",
        "lot": "LOT-A",
    }
    return clinic, {"i": dose}


async def doses_stored(api: Api) -> int:
    events = await asyncio.to_thread(api.platform.store.read, 0, 100_000)
    return sum(type(p.event).__name__ == "DoseAdministered" for p in events)


async def head(api: Api) -> int:
    return await asyncio.to_thread(api.platform.store.last_position)


async def test_a_dose_sent_twice_with_its_key_is_given_once(api: Api, today: date) -> None:
    clinic, dose = await dosing_client(api, today, "Alex R.")

    first = await post(api, DOSE, dose, key="window-1/alex/0900")
    again = await post(api, DOSE, dose, key="window-1/alex/0900")

    assert "errors" not in first.json(), first.json()
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert await doses_stored(api) == 1
    clinic.position = first.json()["data"]["administerDose"]["position"]
    assert (await clinic.read(DOSING))["given"] == 1


async def test_the_same_key_on_another_request_is_refused_and_records_nothing(
    api: Api, today: date
) -> None:
    _, dose = await dosing_client(api, today, "Sam K.")
    first = await post(api, DOSE, dose, key="k-1")
    before = await head(api)

    other = {"i": {**dose["i"], "amount": "70"}}
    refused = (await post(api, DOSE, other, key="k-1")).json()

    [error] = refused["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "Idempotency-Key",
        "rule": "idempotency-key-reused",
    }
    assert await head(api) == before
    assert (await post(api, DOSE, dose, key="k-1")).json() == first.json()
    assert await doses_stored(api) == 1


@pytest.mark.parametrize("bad", ["tab\there", "x" * 256, ""])
async def test_a_malformed_key_is_refused_before_anything_is_recorded(
    api: Api, bad: str, today: date
) -> None:
    _, dose = await dosing_client(api, today, "Jo P.")
    before = await head(api)

    body = (await post(api, DOSE, dose, key=bad)).json()

    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "Idempotency-Key"
    assert "Idempotency-Key" in error["message"]
    assert await head(api) == before


async def test_the_longest_key_is_accepted(api: Api, today: date) -> None:
    _, dose = await dosing_client(api, today, "Lee M.")
    body = (await post(api, DOSE, dose, key="~" * 255)).json()
    assert "errors" not in body, body


async def test_each_mutation_of_a_request_is_kept_under_its_response_key(api: Api) -> None:
    program = {"program": "OTP"}
    variables = {"a": {"displayName": "A", **program}, "b": {"displayName": "B", **program}}

    first = await post(api, ENROLL_TWO, variables, key="intake", role=Role.PROGRAM_ADMIN, user="a")
    again = await post(api, ENROLL_TWO, variables, key="intake", role=Role.PROGRAM_ADMIN, user="a")

    data = first.json()["data"]
    assert data["first"]["id"] != data["second"]["id"]
    assert again.json() == first.json()
    async with api.platform.pool.connection() as conn:
        cur = await conn.execute("SELECT key FROM idempotency_keys ORDER BY key")
        assert [k for (k,) in await cur.fetchall()] == ["intake#first", "intake#second"]


async def test_an_order_and_its_findings_come_back_alike(api: Api, today: date) -> None:
    clinic, _ = await dosing_client(api, today, "Kim T.")
    order = {
        "clientId": clinic.client_id,
        "medication": "escitalopram",
        "dose": "10",
        "unit": "mg",
        "route": "oral",
        "start": str(today),
        "acknowledgements": [
            {"rule": "methadone-qt-prolonging", "reason": "QTc 430 ms, ECG in 2 weeks"}
        ],
    }
    first, again = [
        await post(api, PRESCRIBE, {"i": order}, key="rx-1", role=Role.PRESCRIBER, user="dr-lee")
        for _ in range(2)
    ]

    findings = first.json()["data"]["prescribeMedication"]["findings"]
    assert "methadone-qt-prolonging" in {f["rule"] for f in findings}
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_dose_stored_without_its_response_is_answered_on_retry(
    api: Api, today: date
) -> None:
    """The command commits with its key and the response is lost (the API process dies
    before answering): the retry with the same key gets the first outcome."""
    _, dose = await dosing_client(api, today, "Max B.")
    given = dose["i"]
    key = IdempotencyKey(NURSE, Role.NURSE.value, "lost#administerDose", digest_of(DOSE, dose))
    stamp = Stamp(Actor(id=NURSE, role=Role.NURSE))
    command = administer_dose(
        stamp,
        client_id=UUID(given["clientId"]),
        dose=GivenDose(
            order_id=UUID(given["orderId"]),
            amount=Decimal(given["amount"]),
            dosage_form=given["dosageForm"],
            lot=given["lot"],
        ),
        rules=api.platform.medication,
    )
    stored = await api.platform.bus.execute(command, key=key)  # no response reaches anyone

    retried = await post(api, DOSE, dose, key="lost")

    assert retried.headers["idempotent-replayed"] == "true"
    answer = retried.json()["data"]["administerDose"]
    assert answer == {"id": str(stored.result), "position": stored.position}
    assert await doses_stored(api) == 1


async def test_a_dose_whose_connection_dropped_is_answered_on_retry(api: Api, today: date) -> None:
    """The client hangs up before the answer: the dose is stored, and the retry says so."""
    _, dose = await dosing_client(api, today, "Ray D.")
    before = await head(api)
    body = json.dumps({"query": DOSE, "variables": dose}).encode()
    host, port = api.base_url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {api.token(Role.NURSE, NURSE)}\r\n".encode()
        + b"Idempotency-Key: dropped\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    writer.close()  # gone before any answer
    for _ in range(500):
        if await head(api) > before:
            break
        await asyncio.sleep(0.01)

    retried = await post(api, DOSE, dose, key="dropped")

    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["data"]["administerDose"]["position"] > before
    assert await doses_stored(api) == 1


def digest_of(query: str, variables: dict[str, Any]) -> str:
    """What the API keeps of this request: its variables as the schema coerces them."""
    schema: Schema = build_schema(production=False)
    [operation] = parse(query).definitions
    assert isinstance(operation, OperationDefinitionNode)
    coerced = get_variable_values(schema._schema, operation.variable_definitions or (), variables)
    assert not isinstance(coerced, list), coerced
    return operation_digest(query, None, coerced.coerced)
