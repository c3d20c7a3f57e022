"""breakGlassUses pages newest first through every emergency access: each page names the
position to go on from (`before`), and an access recorded while an auditor pages is neither
listed again nor makes one skipped. Before, the list stopped at its newest `first` (500 at
most) and the older ones since a time could not be reached."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
BREAK_GLASS = mutation("BreakGlassInput", "breakGlass")
USES = """query($since: DateTime, $before: Seq, $p: Seq) {
  breakGlassUses(since: $since, first: 1, before: $before, atLeast: $p) {
    position clientId memberId } }"""


async def open_glass(api: Api, client_id: str, nurse: str) -> int:
    opened = await api.ok(
        BREAK_GLASS,
        {"input": {"clientId": client_id, "reason": "found unresponsive in the lobby"}},
        role=Role.NURSE,
        user=nurse,
    )
    return int(opened["breakGlass"]["position"])


async def page(api: Api, since: datetime, before: int | None, at_least: int) -> list[Any]:
    variables = {"since": since.isoformat(), "before": before, "p": at_least}
    listed: list[Any] = (await api.ok(USES, variables, role=Role.AUDITOR))["breakGlassUses"]
    return listed


async def test_an_auditor_pages_through_every_emergency_access_once(api: Api) -> None:
    since = datetime.now(UTC)
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Rae", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    nurses = ["nurse-page-1", "nurse-page-2", "nurse-page-3"]
    reached = 0
    for nurse in nurses:
        reached = await open_glass(api, client_id, nurse)

    seen: list[Any] = []
    before = None
    while listed := await page(api, since, before, reached):
        assert len(listed) == 1
        seen.extend(listed)
        before = listed[-1]["position"]
        if len(seen) == 1:  # recorded while the auditor pages: newer than every page to come
            reached = await open_glass(api, client_id, "nurse-page-4")

    positions = [u["position"] for u in seen]
    assert positions == sorted(set(positions), reverse=True)
    mine = [u["memberId"] for u in seen if u["clientId"] == client_id]
    assert mine == nurses[::-1]
