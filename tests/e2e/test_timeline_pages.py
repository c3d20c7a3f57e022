"""The edges of timeline paging and filtering: the exact last page, the empty page after it,
a cursor this API never gave, page sizes out of range, kinds, dates and ``asOf``."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from carecoord.events import Role
from carecoord.graphql.export import OPERATIONS_DIR
from support import Api

# Each test enrolls its own clients and reads nothing beyond them.
pytestmark = pytest.mark.shared_platform

PAGE = (OPERATIONS_DIR / "prescriber" / "ClientTimeline.graphql").read_text(encoding="utf-8")
AS_OF = (OPERATIONS_DIR / "auditor" / "TimelineAsOf.graphql").read_text(encoding="utf-8")
FILTERED = """query($id: UUID!, $from: DateTime, $to: DateTime, $kinds: [Kind!]) {
  clientTimeline(clientId: $id, occurredFrom: $from, occurredTo: $to, kinds: $kinds) {
    nodes { type occurredAt } } }"""
ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
CAUGHT_UP = """query($id: UUID!, $p: Seq) {
  clientTimeline(clientId: $id, atLeast: $p) { projectedPosition } }"""
CHECK_IN = """mutation($input: RecordCheckInInput!) { recordCheckIn(input: $input) { position } }"""


async def four_entries(api: Api) -> tuple[str, int]:
    """Enrollment, care-team join, two check-ins: four entries the prescriber reads."""
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Indy", "program": "OTP", "occurredAt": "2026-01-01T10:00:00Z"}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    position = await api.join_care_team(client_id, Role.PRESCRIBER)
    for day in ("2026-01-03", "2026-01-05"):
        done = await api.ok(
            CHECK_IN,
            {"input": {"clientId": client_id, "craving": 5, "occurredAt": f"{day}T09:00:00Z"}},
            role=Role.CLIENT, user=client_id,
        )  # fmt: skip
        position = done["recordCheckIn"]["position"]
    return client_id, position


async def page(api: Api, **variables: Any) -> dict[str, Any]:
    return await api.gql(PAGE, variables, role=Role.PRESCRIBER)


async def connection(api: Api, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = (await page(api, **variables))["data"]["clientTimeline"]
    return found


async def caught_up(api: Api, client_id: str, position: int) -> None:
    await api.ok(CAUGHT_UP, {"id": client_id, "p": position}, role=Role.PRESCRIBER)


async def test_paging_to_the_end_and_past_it(api: Api) -> None:
    client_id, position = await four_entries(api)
    await caught_up(api, client_id, position)
    first = await connection(api, clientId=client_id, first=2)
    last = await connection(api, clientId=client_id, first=2, after=first["pageInfo"]["endCursor"])
    assert first["pageInfo"]["hasNextPage"] is True
    assert len(last["nodes"]) == 2
    assert last["pageInfo"]["hasNextPage"] is False, "an exact last page says there is no more"
    beyond = await connection(api, clientId=client_id, first=2, after=last["pageInfo"]["endCursor"])
    assert beyond["nodes"] == []
    assert beyond["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    whole = await connection(api, clientId=client_id, first=4)
    assert [n["position"] for n in whole["nodes"]] == [
        n["position"] for n in first["nodes"] + last["nodes"]
    ]
    assert whole["pageInfo"]["hasNextPage"] is False


async def test_bad_cursors_and_page_sizes_are_refused_with_the_field(api: Api) -> None:
    client_id, position = await four_entries(api)
    await caught_up(api, client_id, position)
    forged = base64.urlsafe_b64encode(b"yesterday").decode()
    for variables, field, rule in (
        ({"after": "not-a-cursor"}, "after", "cursor"),
        ({"after": forged}, "after", "cursor"),
        ({"first": 0}, "first", "page-size"),
        ({"first": 501}, "first", "page-size"),
    ):
        body = await page(api, clientId=client_id, **variables)
        assert body["data"] is None
        extensions = body["errors"][0]["extensions"]
        assert (extensions["code"], extensions["field"], extensions["rule"]) == (
            "BAD_USER_INPUT", field, rule
        )  # fmt: skip


async def test_a_cursor_from_another_clients_timeline_is_refused(api: Api) -> None:
    """It paged this client from an entry it does not have, silently leaving out those
    before; a tampered client id in a cursor is no cursor."""
    first_client, position = await four_entries(api)
    other_client, other_position = await four_entries(api)
    await caught_up(api, first_client, position)
    await caught_up(api, other_client, other_position)
    cursor = (await connection(api, clientId=first_client, first=2))["pageInfo"]["endCursor"]
    keyset = base64.urlsafe_b64decode(cursor).decode().rpartition("|")[0]
    tampered = base64.urlsafe_b64encode(f"{keyset}|not-a-client".encode()).decode()

    for forged, rule in ((cursor, "cursor-client"), (tampered, "cursor")):
        body = await page(api, clientId=other_client, first=2, after=forged)
        assert body["data"] is None
        extensions = body["errors"][0]["extensions"]
        assert (extensions["code"], extensions["field"], extensions["rule"]) == (
            "BAD_USER_INPUT", "after", rule
        )  # fmt: skip
    own = await connection(api, clientId=first_client, first=2, after=cursor)
    assert len(own["nodes"]) == 2


async def test_filters_by_kind_date_range_and_recorded_time(api: Api) -> None:
    client_id, position = await four_entries(api)
    await caught_up(api, client_id, position)
    check_ins = await api.ok(
        FILTERED, {"id": client_id, "kinds": ["CHECK_IN"]}, role=Role.PRESCRIBER
    )
    assert [n["type"] for n in check_ins["clientTimeline"]["nodes"]] == [
        "checkins.CheckInRecorded", "checkins.CheckInRecorded",
    ]  # fmt: skip
    window = await api.ok(
        FILTERED,
        {"id": client_id, "from": "2026-01-02T00:00:00Z", "to": "2026-01-04T00:00:00Z"},
        role=Role.PRESCRIBER,
    )
    assert [n["occurredAt"] for n in window["clientTimeline"]["nodes"]] == [
        "2026-01-03T09:00:00+00:00"
    ]
    everything = await api.ok(AS_OF, {"clientId": client_id, "asOf": "2999-01-01T00:00:00Z"},
                              role=Role.AUDITOR)  # fmt: skip
    nodes = everything["clientTimeline"]["nodes"]
    assert len(nodes) == 4
    second_recorded = sorted(n["recordedAt"] for n in nodes)[1]
    then = await api.ok(AS_OF, {"clientId": client_id, "asOf": second_recorded},
                        role=Role.AUDITOR)  # fmt: skip
    assert len(then["clientTimeline"]["nodes"]) == 2
    nothing = await api.ok(AS_OF, {"clientId": client_id, "asOf": "2000-01-01T00:00:00Z"},
                           role=Role.AUDITOR)  # fmt: skip
    assert nothing["clientTimeline"]["nodes"] == []


async def test_a_cursor_tampered_within_its_own_client_is_no_cursor(api: Api) -> None:
    """A time without its offset (read in the database's own zone), a position below 1 or
    past any the store holds: each paged from where no entry stands, answered as a page."""
    client_id, position = await four_entries(api)
    await caught_up(api, client_id, position)
    cursor = (await connection(api, clientId=client_id, first=2))["pageInfo"]["endCursor"]
    occurred, at, client = base64.urlsafe_b64decode(cursor).decode().split("|")
    naive = occurred.rsplit("+", 1)[0]

    for keyset in (f"{naive}|{at}", f"{occurred}|-5", f"{occurred}|0", f"{occurred}|{2**63}"):
        forged = base64.urlsafe_b64encode(f"{keyset}|{client}".encode()).decode()
        body = await page(api, clientId=client_id, first=2, after=forged)
        assert body["data"] is None, keyset
        extensions = body["errors"][0]["extensions"]
        assert (extensions["field"], extensions["rule"]) == ("after", "cursor"), keyset
    own = await connection(api, clientId=client_id, first=2, after=cursor)
    assert len(own["nodes"]) == 2
