"""What a user could see at a time answers the timeline whole up to the most one read
answers, and past that is refused naming `first` (logged as a read returning none): a
client's years of entries came back in one response. With `first` it is read a page at a
time in clinical order, the next `after` pageInfo's endCursor, without a gap or a repeat.
The bound is lowered here: the code reads it as it answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from test_access import access_log
from test_record_export_api import enroll, operations

from carecoord.events import Role
from carecoord.graphql import log_pages
from support import Api

AS_OF = """query($id: UUID!, $at: DateTime!, $first: Int, $after: String) {
  accessAsOf(userId: "nurse-1", role: NURSE, clientId: $id, at: $at, first: $first,
    after: $after) { timeline { position } pageInfo { hasNextPage endCursor } } }"""


async def test_the_timeline_at_a_time_past_the_most_rows_is_refused_and_read_a_page_at_a_time(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await enroll(api, "OTP")
    for role in (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST):
        await api.join_care_team(client, role)

    async def read(**page: Any) -> dict[str, Any]:
        variables = {"id": client, "at": datetime.now(UTC).isoformat(), **page}
        return await api.gql(AS_OF, variables, role=Role.AUDITOR, user="auditor-1")

    whole = (await read())["data"]["accessAsOf"]
    everything = [e["position"] for e in whole["timeline"]]
    assert len(everything) == 4
    assert whole["pageInfo"] == {"hasNextPage": False, "endCursor": whole["pageInfo"]["endCursor"]}
    monkeypatch.setattr(log_pages, "MAX_ROWS", 3)

    [error] = (await read())["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == ("first", "rows-at-most")
    assert "more than 3 rows" in error["message"]
    paged: list[int] = []
    after = None
    while True:
        page = (await read(first=3 if after is None else 1, after=after))["data"]["accessAsOf"]
        paged += [e["position"] for e in page["timeline"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == everything

    logged = operations(await access_log(api, client), "accessAsOf")
    assert logged == [("auditor", "GRANTED", n) for n in (4, 0, 3, 1)]


@pytest.mark.parametrize(
    ("page", "rule"),
    [({"first": 0}, "page-size"), ({"first": 5001}, "page-size"), ({"after": "x"}, "cursor")],
)
async def test_a_page_no_read_answers_is_refused_before_the_record_is_read_and_not_logged(
    api: Api, page: dict[str, Any], rule: str
) -> None:
    """``first: 0`` or a cursor this API never made was refused once the record was
    rebuilt, and logged as a read of it returning none: bad input records nothing."""
    client = await enroll(api, "OTP")
    variables = {"id": client, "at": datetime.now(UTC).isoformat(), **page}

    answer = await api.gql(AS_OF, variables, role=Role.AUDITOR, user="auditor-1")

    [error] = answer["errors"]
    assert error["extensions"]["rule"] == rule
    assert operations(await access_log(api, client), "accessAsOf") == []
