"""A page of the access log held to a head (``through``) before where it starts (``after``)
is refused naming ``through``: it was answered empty, as if the log ended there, so an
auditor who passed the two the wrong way round read a log with nothing in it."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

PAGES = {
    "accessLog": "query($a: Int!, $t: Int) { accessLog(after: $a, through: $t) { seq } }",
    "accessLogAuditEvents": "query($a: Int!, $t: Int) { accessLogAuditEvents(after: $a,"
    " through: $t) }",
}


@pytest.mark.parametrize("query", sorted(PAGES))
async def test_a_head_before_the_pages_start_is_refused(api: Api, query: str) -> None:
    answer = await api.gql(PAGES[query], {"a": 10, "t": 5}, role=Role.AUDITOR)

    (error,) = answer["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "through",
        "rule": "through-before-after",
    }
    for held in ({"a": 5, "t": 5}, {"a": 0, "t": None}):  # the end of a loop; no head
        assert "errors" not in await api.gql(PAGES[query], held, role=Role.AUDITOR)
