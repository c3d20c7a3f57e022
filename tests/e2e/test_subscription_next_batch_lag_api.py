"""A timeline subscription's next batch can be read while its reader is still taking the last
push (a slow socket): it was decided on the access changes read with its rows, so once the
reader took the push, a care-team removal recorded meanwhile that the access views had not
yet applied let the batch's first entry through. A batch read before the reader took the
last push is decided on access as recorded by then, as each later push of a batch is."""

from __future__ import annotations

import asyncio
from typing import cast
from uuid import UUID

import psycopg
import pytest
from strawberry.types import ExecutionResult
from test_subscription_slow_reader_api import CHECK_IN, END, SHOWN, TIMELINE, enrolled, reading

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

NURSE = "nurse-next-batch"


async def checked_in(api: Api, client_id: str) -> int:
    """A check-in the nurse records, once the timeline view holds it."""
    given = {"input": {"clientId": client_id, "craving": 2}}
    done = await api.ok(CHECK_IN, given, role=Role.NURSE, user=NURSE)
    position: int = done["recordCheckIn"]["position"]
    await api.ok(SHOWN, {"id": client_id, "at": position}, role=Role.NURSE, user=NURSE)
    return position


async def handed(api: Api, client_id: str, position: int) -> None:
    """Until the live feed has handed the client's subscription a batch through
    ``position`` that it has not taken yet."""
    watches = api.platform.timelines._watches
    for _ in range(500):
        if any(
            w.client_id == UUID(client_id) and w.untaken is not None and w.after >= position
            for w in watches
        ):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the feed handed nothing through {position}")


async def test_a_batch_read_before_the_last_push_was_taken_is_decided_on_access_now(
    api: Api,
) -> None:
    client_id = await enrolled(api, "Ode", NURSE)
    after = await checked_in(api, client_id) - 1
    token = api.token(Role.NURSE, NURSE)
    feed = await reading(api, token, TIMELINE, {"id": client_id, "after": after})
    try:
        first = cast("ExecutionResult", await anext(feed))  # the reader has it: still taking it
        second = await checked_in(api, client_id)
        await handed(api, client_id, second)  # read with its access changes: none yet
        with psycopg.connect(api.platform.database_url) as held:
            # The projector cannot apply the removal to the care-team view while this is held.
            held.execute("LOCK TABLE care_team IN EXCLUSIVE MODE")
            await api.ok(
                END,
                {"input": {"clientId": client_id, "memberId": NURSE, "reason": "moved on"}},
                role=Role.PROGRAM_ADMIN,
            )
            pushed = asyncio.ensure_future(anext(feed))  # the reader takes the next push
            await asyncio.sleep(0.5)  # it has begun deciding, on the views as they stand
            held.rollback()
        later = cast("ExecutionResult", await asyncio.wait_for(pushed, 10))
    finally:
        await feed.aclose()

    assert first.data is not None
    assert later.data is None, later.data
    assert later.errors is not None
    assert later.errors[0].extensions == {
        "code": "FORBIDDEN",
        "field": "clientId",
        "rule": "care-team-or-consent",
    }
