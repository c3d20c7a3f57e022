"""A client is enrolled under a name a reader sees. Before, a display name of zero-width
characters only (U+200B, U+2060, U+FEFF) was enrolled, though one of spaces was refused: the
client was listed as an empty row on every caseload. Each is refused naming displayName and
records nothing; a name with one inside (as Persian writes with U+200C) is kept as given."""

from __future__ import annotations

import asyncio

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SHOWS_NOTHING = ["\u200b\u200b", "\u2060", " \ufeff ", "   "]


async def test_a_display_name_that_shows_nothing_is_refused(api: Api) -> None:
    head = await asyncio.to_thread(api.platform.store.last_position)

    bodies = [
        await api.gql(ENROLL, {"input": {"displayName": name, "program": "OTP"}},
                      role=Role.PROGRAM_ADMIN)
        for name in SHOWS_NOTHING
    ]  # fmt: skip

    for name, body in zip(SHOWS_NOTHING, bodies, strict=True):
        [error] = body["errors"]
        extensions = error["extensions"]
        assert (extensions["code"], extensions["field"], extensions["rule"]) == (
            "BAD_USER_INPUT", "displayName", "display-name",
        ), ascii(name)  # fmt: skip
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    kept = await api.ok(
        ENROLL, {"input": {"displayName": "Mehr\u200cnaz", "program": "OTP"}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    assert kept["enrollClient"]["id"]


async def test_a_display_name_on_more_than_one_line_is_refused(api: Api) -> None:
    """Before, "Ann" and "Drop" with a line break or a tab between them were enrolled as one
    name: the client's caseload row and the timeline's "Enrolled in OTP as ..." split in
    two."""
    head = await asyncio.to_thread(api.platform.store.last_position)

    for name in ("Ann\nDrop", "Ann\r\nDrop", "Ann\tDrop", "Ann\u2028Drop"):
        body = await api.gql(ENROLL, {"input": {"displayName": name, "program": "OTP"}},
                             role=Role.PROGRAM_ADMIN)  # fmt: skip
        [error] = body["errors"]
        assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
            "displayName", "display-name"
        ), ascii(name)  # fmt: skip

    assert await asyncio.to_thread(api.platform.store.last_position) == head
