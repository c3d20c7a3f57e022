"""A position below 0 (a read's ``atLeast``, a subscription's ``after``) is refused naming it
(``position-not-negative``), before anything is read or logged: no position is below 0, and
each was read as any position, a read answered and a feed started as if it were left out."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from medication_steps import DOCTOR, NURSE, Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

READS = {
    "clientTimeline": "query($id: UUID!, $n: Seq) { clientTimeline(clientId: $id, atLeast: $n)"
    " { edges { cursor } } }",
    "careTeam": "query($id: UUID!, $n: Seq) { careTeam(clientId: $id, atLeast: $n) { memberId } }",
    "clientMedications": "query($id: UUID!, $n: Seq) {"
    " clientMedications(clientId: $id, atLeast: $n) { orders { id } } }",
}
TIMELINE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position } }"""
ACCESS_LOG = "query($id: UUID) { accessLog(clientId: $id, first: 500) { operation } }"
REFUSED = {"code": "BAD_USER_INPUT", "rule": "position-not-negative"}


@pytest.mark.parametrize("read", sorted(READS))
async def test_a_negative_at_least_is_refused_naming_it(api: Api, read: str) -> None:
    clinic = await Clinic.enroll(api, "Position P.")

    body = await api.gql(
        READS[read], {"id": clinic.client_id, "n": -1}, role=Role.NURSE, user=NURSE
    )

    [error] = body["errors"]
    assert error["extensions"] == {**REFUSED, "field": "atLeast"}
    logged = await api.ok(ACCESS_LOG, {"id": clinic.client_id}, role=Role.AUDITOR)
    assert logged["accessLog"] == []
    for n in (0, clinic.position):
        await api.ok(READS[read], {"id": clinic.client_id, "n": n}, role=Role.NURSE, user=NURSE)


async def test_a_subscription_resumed_after_a_negative_position_is_refused(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Position S.")
    token = api.token(Role.PRESCRIBER, DOCTOR)

    async with api.subscription(token, TIMELINE, {"id": clinic.client_id, "after": -5}) as ws:
        refused: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))

    # Refused before the stream starts: the protocol's error message, which ends the operation.
    assert refused["type"] == "error", refused
    assert refused["payload"][0]["extensions"] == {**REFUSED, "field": "after"}


LOG_PAGES = {
    "accessLog": ("through", "query($n: Seq) { accessLog(through: $n) { operation } }"),
    "accessLogAuditEvents": ("through", "query($n: Seq) { accessLogAuditEvents(through: $n) }"),
    "breakGlassUses": ("before", "query($n: Seq) { breakGlassUses(before: $n) { clientId } }"),
}


@pytest.mark.parametrize("read", sorted(LOG_PAGES))
async def test_a_log_page_bounded_by_a_negative_position_is_refused_naming_it(
    api: Api, read: str
) -> None:
    """An auditor's page up to ``through`` -1, or before -1, answered empty: read as a log
    with nothing in it."""
    field, query = LOG_PAGES[read]

    body = await api.gql(query, {"n": -1}, role=Role.AUDITOR)

    [error] = body["errors"]
    assert error["extensions"] == {**REFUSED, "field": field}
    await api.ok(query, {"n": 0}, role=Role.AUDITOR)
