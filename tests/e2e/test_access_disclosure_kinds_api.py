"""A disclosure on the timeline is shown to a clinician only when their grant shows every kind
it sent, as an alert is only to one who sees what its rule tells of: a nurse, who reads no
counseling notes, read a disclosure of one (its kinds, its count and the events' ids) and so
learned that the client's therapist had written one. Those who read the accounting of
disclosures (program admins, auditors, the client) see each."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from counseling_notes import client_with_a_note
from forwarding import forwarded_to_head
from test_access import consent_to_organization

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

ORG = "clinic-notes-kinds"
NURSE = "nurse-kinds"
TIMELINE = """query($id: UUID!, $atLeast: Seq) { clientTimeline(clientId: $id, atLeast: $atLeast,
  first: 100) { nodes { type } } }"""
SUBSCRIBE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position type } }"""
AS_OF = """query($u: String!, $id: UUID!, $at: DateTime!) {
  accessAsOf(userId: $u, role: NURSE, clientId: $id, at: $at) { timeline { type } } }"""


def disclosed(types: list[str]) -> list[str]:
    return [t for t in types if t.startswith("access.Disclosure")]


async def read(api: Api, client_id: str, head: int, **reader: Any) -> list[str]:
    found = await api.ok(TIMELINE, {"id": client_id, "atLeast": head}, **reader)
    return disclosed([n["type"] for n in found["clientTimeline"]["nodes"]])


async def test_a_disclosure_of_counseling_notes_is_not_shown_to_a_nurse(api: Api) -> None:
    client_id, noted = await client_with_a_note(api, "ther-kinds-colleague")
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await consent_to_organization(
        api, client_id, ORG, ["COUNSELING_NOTE"], signed_by="Rae T.", purpose="treatment"
    )
    await forwarded_to_head(api.platform, ORG, name=ORG)
    last = await api.join_care_team(client_id, Role.PEER_SUPPORTER)  # after the disclosure
    token = api.token(Role.NURSE, NURSE)

    async with api.subscription(token, SUBSCRIBE, {"id": client_id, "after": noted}) as ws:
        pushed: list[dict[str, Any]] = [{"position": noted}]
        while pushed[-1]["position"] < last:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            pushed.append(message["payload"]["data"]["timeline"])
    admin = await read(api, client_id, last, role=Role.PROGRAM_ADMIN)
    nurse = await read(api, client_id, last, role=Role.NURSE, user=NURSE)
    at = datetime.now(UTC).isoformat()
    as_of = await api.ok(AS_OF, {"u": NURSE, "id": client_id, "at": at}, role=Role.AUDITOR)

    assert admin == ["access.DisclosureIntended", "access.DisclosureRecorded"]
    assert disclosed([p["type"] for p in pushed[1:]]) == []
    assert nurse == []
    assert disclosed([e["type"] for e in as_of["accessAsOf"]["timeline"]]) == []
