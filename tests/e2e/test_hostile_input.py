"""Hostile input at the API: malformed requests and out-of-bounds values never reach the
store, never answer 5xx, and never stop the pipeline.

The property test sends generated hostile values (control characters with NUL, strings up
to 1.5 MB, lists of up to 20,000 entries, NaN, infinities, 1e308 and a million-digit
exponent as Decimal strings, integers at and past 32 bits, dates in years 1 and 9999)
into one field at a time of a valid input for every mutation the schema declares (read
from the checked-in SDL, so a new mutation is covered when it is added). By default it
sends 100 generated requests (``HYPOTHESIS_PROFILE=slow``: 1,000), then records a
check-in as a canary and reads it back from the client's timeline, and checks that no
stored event is larger than the catalog's bound or holds a NUL.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import strategies as st
from medication_steps import INDUCTED

from carecoord.events import Role, bounds
from carecoord.graphql.export import SCHEMA_FILE
from carecoord.services.kernel.access import MAY_RECORD, Action
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    build_schema,
    get_named_type,
)
from support import Api, mutation

EXAMPLES = {"default": 100, "slow": 1000}[os.environ.get("HYPOTHESIS_PROFILE", "default")]

ENROLL = mutation("EnrollClientInput", "enrollClient")
PRESCRIBE = mutation("PrescribeInput", "prescribeMedication")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 500) {
    edges { node { eventId type summary } } } }"""


# --- malformed requests -------------------------------------------------------------------

BAD_BODIES: list[tuple[bytes, int]] = [
    (b"null", 400),
    (b'"x"', 400),
    (b"5", 400),
    (b"[]", 400),
    (b"[1, 2]", 400),
    (b'{"query": 5}', 400),
    (b'{"query": "{ __typename }", "variables": "x"}', 400),
    (b'{"query": "{ __typename }", "variables": [1]}', 400),
    (b'{"query": "{ __typename }", "extensions": 5}', 400),
    (b'{"query": "{ __typename }", "operationName": 5}', 400),
    (b'{"query": "{ __typename }", "operationName": "\\ud800"}', 400),
    (b"{}", 400),
    (b'{"variables": {}}', 400),
    (b"\xff\xfe\x00{", 400),
    (b'{"query": "\xc3\x28"}', 400),
    (b"{not json", 400),
    (b"", 400),
    (b'{"query": "{ __typename }", "variables": {"x": NaN}}', 400),
    (b'{"query": "{ __typename }", "variables": {"x": Infinity}}', 400),
    (b'{"query": "{ __typename }", "variables": {"x": ' + b"9" * 5000 + b"}}", 400),
    (b"[" * 100_000 + b"]" * 100_000, 400),
    (b'{"query": "' + b"x" * (1 << 20) + b'"}', 413),
]


@pytest.mark.shared_platform
async def test_a_malformed_body_is_refused_with_a_json_error(api: Api) -> None:
    """One server for all of them: each answers 400 (or 413) with a GraphQL-shaped error."""
    for body, status in BAD_BODIES:
        response = await api.http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == status, (body[:40], response.text)
        errors = response.json()["errors"]
        assert errors, body[:40]
        assert errors[0]["message"], body[:40]


@pytest.mark.shared_platform
async def test_a_body_that_is_no_json_is_told_why_and_where(api: Api) -> None:
    """The answer was "unable to parse the request body as JSON" whatever was wrong: a NaN
    among a hundred variables, a missing comma, a nesting too deep could not be found."""
    cases = [
        (b'{"query": "{ __typename }", "variables": {"x": NaN}}', "NaN is not JSON"),
        (b'{"query": "{ __typename }", "variables": {"x": -Infinity}}', "-Infinity is not JSON"),
        (b'{"query": "{ __typename }"\n "variables": {}}', "(line 2, column 2)"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"query": "{ __typename }", "variables": {"x": ' + b"9" * 5000 + b"}}", "digits"),
    ]
    for body, reason in cases:
        response = await api.http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (body[:40], response.text)
        message = response.json()["errors"][0]["message"]
        assert message.startswith("unable to parse the request body as JSON: "), message
        assert reason in message, message


@pytest.mark.shared_platform
async def test_a_declared_length_over_the_limit_is_refused_unread(api: Api) -> None:
    async def endless() -> Any:
        yield b'{"query": "'
        for _ in range(64):
            yield b"x" * 65536

    response = await api.http.post(
        "/graphql", content=endless(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "over" in response.json()["errors"][0]["message"]


@pytest.mark.shared_platform
async def test_a_wrong_content_type_is_refused_with_a_json_error(api: Api) -> None:
    text = await api.http.post("/graphql", content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    assert text.json()["errors"][0]["message"]


@pytest.mark.shared_platform
async def test_well_formed_requests_still_work(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": "{ __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}
    get = await api.http.get("/graphql", params={"query": "{ __typename }", "variables": "null"})
    assert get.json() == {"data": {"__typename": "Query"}}


@pytest.mark.shared_platform
async def test_query_arguments_are_bounded_too_but_may_name_any_date(api: Api) -> None:
    query = """query($reader: String, $since: DateTime) {
      accessLog(readerId: $reader, since: $since) { seq } }"""
    body = await api.gql(query, {"reader": "a\x00b"}, role=Role.AUDITOR)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "readerId"
    assert "U+0000" in body["errors"][0]["message"]
    far = await api.gql(query, {"since": "2999-01-01T00:00:00Z"}, role=Role.AUDITOR)
    assert far == {"data": {"accessLog": []}}


TAKE_HOME = mutation("TakeHomeInput", "dispenseTakeHome")


async def test_the_inputs_once_stored_or_failing_are_refused_naming_the_field(api: Api) -> None:
    """The cases seen: a NUL in a note (stored, then retried by the projector forever), a
    huge side effect or 20,000 of them (stored, then too large to publish), a NaN dose and
    dates that overflow inside a command (internal errors)."""
    client, order = await client_with_order(api)
    today = date.today().isoformat()
    check_in = {"clientId": client, "mood": 5}
    prescription = {
        "clientId": client,
        "medication": "buprenorphine",
        "dose": "8",
        "unit": "mg",
        "route": "sublingual",
        "start": today,
    }
    take_home = {
        "clientId": client,
        "orderId": order,
        "firstDay": today,
        "days": 2**31 - 1,
        "dosageForm": "oral solution",
        "bottles": [],
    }
    cases = [
        (CHECK_IN, check_in | {"note": "before\x00after"}, "note", "U+0000"),
        (CHECK_IN, check_in | {"sideEffects": ["x" * 600_000]}, "sideEffects.0", "characters"),
        (CHECK_IN, check_in | {"sideEffects": ["é" * 201]}, "sideEffects.0", "at most 200"),
        (CHECK_IN, check_in | {"sideEffects": ["nausea"] * 20_000}, "sideEffects", "20000"),
        (CHECK_IN, check_in | {"occurredAt": "9999-12-31T23:59:59Z"}, "occurredAt", "years"),
        (CHECK_IN, check_in | {"sleepHours": "7.123456789012"}, "sleepHours", "2 decimal places"),
        (PRESCRIBE, prescription | {"start": "9999-12-31"}, "start", "years"),
        (TAKE_HOME, take_home, "days", "90"),
    ]
    for query, sent, field, reason in cases:
        head = await asyncio.to_thread(api.platform.store.last_position)
        body = await api.gql(query, {"input": sent}, role=Role.PRESCRIBER)
        assert not any((body.get("data") or {}).values()), (field, body)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (field, error)
        assert error["extensions"]["field"] == field, error
        assert reason in error["message"], error
        assert await asyncio.to_thread(api.platform.store.last_position) == head, field
    # A NaN or an infinity is no number written with digits: the schema's Decimal refuses it.
    for query, sent, field in [
        (CHECK_IN, check_in | {"sleepHours": "NaN"}, "sleepHours"),
        (PRESCRIBE, prescription | {"dose": "NaN"}, "dose"),
        (PRESCRIBE, prescription | {"dose": "Infinity"}, "dose"),
    ]:
        head = await asyncio.to_thread(api.platform.store.last_position)
        body = await api.gql(query, {"input": sent}, role=Role.PRESCRIBER)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", (field, error)
        assert f".{field}: " in error["message"], error
        assert await asyncio.to_thread(api.platform.store.last_position) == head, field


@pytest.mark.shared_platform
async def test_text_shown_other_than_recorded_is_refused_wherever_it_is_sent(api: Api) -> None:
    """A bidi control or a noncharacter in a note, a list's item or a nested input's field
    is refused naming the field and the kind of character, and nothing is recorded."""
    client, _ = await client_with_order(api)
    check_in = {"clientId": client, "mood": 5}
    prescription = {
        "clientId": client,
        "medication": "methadone",
        "dose": "60",
        "unit": "mg",
        "route": "oral",
        "start": date.today().isoformat(),
    }
    overridden = {"rule": "methadone-induction-first-dose", "reason": "titrated \u061c10-20"}
    cases = [
        (CHECK_IN, check_in | {"note": "dose \u200f10-20 mg"}, "note", "U+200F"),
        (CHECK_IN, check_in | {"note": "dose \u202e06"}, "note", "U+202E"),
        (CHECK_IN, check_in | {"sideEffects": ["nausea", "x\ufffe"]}, "sideEffects.1", "U+FFFE"),
        (CHECK_IN, check_in | {"note": "end\uffff"}, "note", "noncharacter U+FFFF"),
        (
            PRESCRIBE,
            prescription | {"acknowledgements": [overridden]},
            "acknowledgements.0.reason",
            "bidirectional control U+061C",
        ),
    ]
    for query, sent, field, reason in cases:
        head = await asyncio.to_thread(api.platform.store.last_position)
        body = await api.gql(query, {"input": sent}, role=Role.PRESCRIBER)
        assert not any((body.get("data") or {}).values()), (field, body)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (field, error)
        assert error["extensions"]["field"] == field, error
        assert reason in error["message"], error
        assert await asyncio.to_thread(api.platform.store.last_position) == head, field


async def client_with_order(api: Api) -> tuple[str, str]:
    """An enrolled client, the prescriber on their care team, and a methadone order."""
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Alex", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client = str(enrolled["enrollClient"]["id"])
    await api.join_care_team(client, Role.PRESCRIBER)
    order = await api.ok(
        PRESCRIBE,
        {
            "input": {
                "clientId": client,
                "medication": "methadone",
                "dose": "60",
                "acknowledgements": [INDUCTED],
                "unit": "mg",
                "route": "oral",
                "start": date.today().isoformat(),
            }
        },
        role=Role.PRESCRIBER,
    )
    return client, str(order["prescribeMedication"]["id"])


# --- hostile values in every mutation's input ---------------------------------------------

SDL_PATH = SCHEMA_FILE
SCHEMA: GraphQLSchema = build_schema(SDL_PATH.read_text())

STRINGS = {
    "medication": "methadone",
    "unit": "mg",
    "route": "oral",
    "dosageForm": "oral solution",
    "displayName": "Alex",
    "program": "OTP",
    "memberId": "nurse-1",
    "reason": "intoxicated at the window",
    "purpose": "coordination of care",
    "description": "treatment records",
    "signedBy": "Alex",
    "site": "Elsewhere clinic",
    "asamLevel": "2.1",
    "item": "1",
    "analyte": "opiates",
    "rule": "methadone-qt-prolonging",
    "bottle": "B1",
    "lot": "LOT-7",
}
DECIMALS = {"dose": "60", "amount": "60"}
INTS = {"maxDays": 0, "plannedMinutes": 50, "durationMinutes": 50, "value": 1}
EXTRA: dict[str, dict[str, Any]] = {
    "RecordCheckInInput": {"mood": 5, "substanceUse": True},
    "RecordVitalSignsInput": {"pulseBpm": 70},
}
"""Optional fields a baseline needs to be recordable (a check-in needs one measure, and
substances are named only with use)."""

CONTROLS = [chr(c) for c in (*range(9), 11, 12, *range(14, 32), 127, *range(128, 160))]
KINDS = ("String", "Decimal", "Int", "Date", "DateTime", "list")


@dataclass(frozen=True)
class Known:
    """Ids the baselines point at: an enrolled client with an order."""

    client: str
    order: str
    other: str = str(uuid.uuid4())


@dataclass(frozen=True)
class Target:
    mutation: str
    path: tuple[str | int, ...]
    kind: str
    item: GraphQLInputType | None = None


def required(field: Any) -> bool:
    from graphql.pyutils import Undefined

    return isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined


def baseline_of(kind: GraphQLInputType, name: str, known: Known) -> Any:
    if isinstance(kind, GraphQLNonNull):
        return baseline_of(kind.of_type, name, known)
    if isinstance(kind, GraphQLList):
        return [baseline_of(kind.of_type, name, known)]
    if isinstance(kind, GraphQLInputObjectType):
        given = {n: baseline_of(f.type, n, known) for n, f in kind.fields.items() if required(f)}
        return given | EXTRA.get(kind.name, {})
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    scalar = get_named_type(kind).name
    if scalar == "UUID":
        return {"clientId": known.client, "clientIds": known.client, "orderId": known.order}.get(
            name, known.other
        )
    makers: dict[str, Callable[[], object]] = {
        "String": lambda: STRINGS.get(name, "x"),
        "Decimal": lambda: DECIMALS.get(name, "7"),
        "Int": lambda: INTS.get(name, 1),
        "Boolean": lambda: False,
        "Date": lambda: date.today().isoformat(),
        "DateTime": lambda: datetime.now(UTC).isoformat(),
    }
    return makers[scalar]()


def targets_of(mutation: str, kind: GraphQLInputType, path: tuple[str | int, ...]) -> list[Target]:
    found: list[Target] = []
    inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    if isinstance(inner, GraphQLList):
        found.append(Target(mutation, path, "list", inner.of_type))
        found += targets_of(mutation, inner.of_type, (*path, 0))
    elif isinstance(inner, GraphQLInputObjectType):
        for name, field in inner.fields.items():
            found += targets_of(mutation, field.type, (*path, name))
    elif get_named_type(inner).name in KINDS:
        found.append(Target(mutation, path, get_named_type(inner).name))
    return found


def input_type(mutation: str) -> GraphQLInputObjectType:
    assert SCHEMA.mutation_type is not None
    kind = get_named_type(SCHEMA.mutation_type.fields[mutation].args["input"].type)
    assert isinstance(kind, GraphQLInputObjectType)
    return kind


def with_value(
    given: Any, kind: GraphQLInputType, path: tuple[str | int, ...], value: Any, known: Known
) -> Any:
    """``given`` with ``value`` at ``path``; containers on the way made from baselines."""
    if not path:
        return value
    inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    head, rest = path[0], path[1:]
    if isinstance(inner, GraphQLList):
        items = list(given) if given else [baseline_of(inner.of_type, "", known)]
        items[0] = with_value(items[0], inner.of_type, rest, value, known)
        return items
    assert isinstance(inner, GraphQLInputObjectType)
    assert isinstance(head, str)
    field = inner.fields[head]
    current = given.get(head) if head in given else baseline_of(field.type, head, known)
    return given | {head: with_value(current, field.type, rest, value, known)}


MUTATION_FIELDS = SCHEMA.mutation_type.fields if SCHEMA.mutation_type else {}
IDS_ALONE = frozenset({"witnessTakeHomeReturn"})
"""Mutations whose input is ids alone: nothing of ``KINDS`` to send into (the schema's UUID
scalar refuses a malformed id before any command runs)."""
MUTATIONS = sorted(set(MUTATION_FIELDS) - IDS_ALONE)
TARGETS = {m: targets_of(m, MUTATION_FIELDS[m].args["input"].type, ()) for m in MUTATION_FIELDS}


ACTIONS = {action.value: action for action in Action}
PRESCRIBERS = frozenset({Role.PRESCRIBER})


def role_for(mutation: str) -> Role:
    """A role that may run it (the prescriber, on the client's care team, where it may)."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in mutation)
    action = ACTIONS.get(snake)
    allowed = MAY_RECORD.get(action, PRESCRIBERS) if action else PRESCRIBERS
    return Role.PRESCRIBER if Role.PRESCRIBER in allowed else min(allowed)


texts = st.one_of(
    st.builds(
        lambda before, control, after: before + control + after,
        st.text(max_size=10),
        st.sampled_from([*CONTROLS, "\ud800", "\udfff"]),
        st.text(max_size=10),
    ),
    st.integers(bounds.NOTE_MAX + 1, 1_500_000).map(lambda n: "x" * n),
    st.sampled_from([bounds.ITEM_MAX + 1, bounds.TEXT_MAX + 1, 5001]).map("é".__mul__),
    st.text(max_size=50),
)
decimals = st.one_of(
    st.sampled_from(
        [
            "NaN",
            "-NaN",
            "sNaN",
            "Infinity",
            "-Infinity",
            "1e308",
            "-1e308",
            "-0",
            "1e999999",
            "1e-999999",
            "9" * 5000,
            "0." + "0" * 40 + "1",
            "abc",
            "",
        ]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
ints = st.one_of(
    st.sampled_from([2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 0, -1, 1e308, float("nan")]),
    st.integers(-(2**40), 2**40),
)
dates = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01", "2026-02-30", "x"]),
    st.dates().map(date.isoformat),
)
datetimes = st.one_of(
    st.sampled_from(
        ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59"]
    ),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
)
VALUES = {"String": texts, "Decimal": decimals, "Int": ints, "Date": dates, "DateTime": datetimes}


def hostile(target: Target, known: Known) -> st.SearchStrategy[Any]:
    if target.kind != "list":
        return VALUES[target.kind]
    assert target.item is not None
    item = baseline_of(target.item, str(target.path[-1]), known)
    return st.sampled_from([bounds.COUNT_MAX + 1, 20_000]).map(lambda n: [item] * n)


def named(error: dict[str, Any], target: Target) -> bool:
    """The error says which field: in ``extensions.field`` or, refused by the schema, in
    the message (``... at 'input.schedule.timesPerDay'``)."""
    names = [str(p) for p in target.path if isinstance(p, str)] or ["input"]
    return bool((error.get("extensions") or {}).get("field")) or any(
        n in error["message"] for n in names
    )


def send_hostile_inputs(api: Api, known: Known) -> int:
    """Runs in a thread (hypothesis drives a blocking client; the server runs on the loop)."""
    sent = 0
    tokens = {role: api.token(role) for role in Role}

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        nonlocal sent
        mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        target = data.draw(st.sampled_from(TARGETS[mutation]), label="field")
        value = data.draw(hostile(target, known), label="value")
        kind = input_type(mutation)
        variables = {
            "input": with_value(baseline_of(kind, "", known), kind, target.path, value, known)
        }
        query = f"mutation($input: {kind.name}!) {{ {mutation}(input: $input) {{ __typename }} }}"
        # Encoded here: NaN goes out as the (invalid JSON) token, a lone surrogate escaped.
        body = json.dumps({"query": query, "variables": variables}).encode()
        response = http.post(
            "/graphql",
            content=body,
            headers={
                "Authorization": f"Bearer {tokens[role_for(mutation)]}",
                "Content-Type": "application/json",
            },
        )
        sent += 1
        assert response.status_code < 500, response.text[:500]
        body = response.json()
        if response.status_code != 200:
            event(f"HTTP {response.status_code}")
            assert response.status_code in {400, 413}
            assert body["errors"][0]["message"]
            return
        outcome = [(e.get("extensions") or {}) for e in body.get("errors") or []]
        event(" ".join(f"{o.get('code')}/{o.get('rule')}" for o in outcome) or "recorded")
        for error in body.get("errors") or []:
            assert (error.get("extensions") or {}).get("code") != "INTERNAL_SERVER_ERROR", error
            assert named(error, target), error
            assert error["message"]

    with httpx.Client(base_url=api.base_url, timeout=30) as http:
        one()
    return sent


async def test_hostile_values_in_every_mutation_never_stop_the_pipeline(api: Api) -> None:
    client, order = await client_with_order(api)
    known = Known(client=client, order=order)
    assert all(TARGETS[m] for m in MUTATIONS), "every mutation has a field to send into"
    assert not any(TARGETS[m] for m in IDS_ALONE), "takes more than ids: send into it"

    sent = await asyncio.to_thread(send_hostile_inputs, api, known)
    assert sent >= EXAMPLES

    canary = await api.ok(
        CHECK_IN, {"input": {"clientId": client, "mood": 7, "note": "canary"}}, role=Role.PRESCRIBER
    )
    position = canary["recordCheckIn"]["position"]
    timeline = await api.ok(TIMELINE, {"id": client, "atLeast": position}, role=Role.PRESCRIBER)
    ids = [e["node"]["eventId"] for e in timeline["clientTimeline"]["edges"]]
    assert canary["recordCheckIn"]["id"] in ids or any(
        "mood 7/10" in e["node"]["summary"] for e in timeline["clientTimeline"]["edges"]
    )

    async with api.platform.pool.connection() as conn:
        cursor = await conn.execute("SELECT state FROM carecoord_events")
        states = [bytes(row[0]) for row in await cursor.fetchall()]
    assert states
    assert max(map(len, states)) <= bounds.EVENT_BYTES_MAX
    assert not [s for s in states if b"\\u0000" in s], "a stored event holds a NUL"
