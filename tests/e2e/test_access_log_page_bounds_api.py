"""A page of the access log held to a head (``through``) before where it starts (``after``)
is refused naming ``through``: it was answered empty, as if the log ended there, so an
auditor who passed the two the wrong way round read a log with nothing in it. One that
starts past the newest entry is refused naming ``after``, for the same reason."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

PAGES = {
    "accessLog": "query($a: Seq!, $t: Seq) { accessLog(after: $a, through: $t) { seq } }",
    "accessLogAuditEvents": "query($a: Seq!, $t: Seq) { accessLogAuditEvents(after: $a,"
    " through: $t) }",
}


@pytest.mark.parametrize("query", sorted(PAGES))
async def test_a_page_outside_the_log_is_refused(api: Api, query: str) -> None:
    head = (await api.ok("{ accessLogHead }", role=Role.AUDITOR))["accessLogHead"]

    answer = await api.gql(PAGES[query], {"a": head + 10, "t": head + 5}, role=Role.AUDITOR)
    # A start no page or head gave (a store position passed for a seq): a pass from there
    # would pass over the entries numbered up to it once they are written.
    past = await api.gql(PAGES[query], {"a": head + 1_000_000, "t": None}, role=Role.AUDITOR)

    for refused, field, rule in ((answer, "through", "through-before-after"),
                                 (past, "after", "after-past-head")):  # fmt: skip
        (error,) = refused["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field, "rule": rule}
    for held in ({"a": head, "t": head}, {"a": 0, "t": None}):  # the end of a loop; no head
        assert "errors" not in await api.gql(PAGES[query], held, role=Role.AUDITOR)
