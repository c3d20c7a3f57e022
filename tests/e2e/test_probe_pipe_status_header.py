"""The platform's own readers against messages of another publisher on the care subjects
with a ``Status`` header, which nats-py's pull takes for the server's own word and hands to
no one (the example census waited on one for good): the projector and a live timeline
subscription read the event store, not the stream, and go on through them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from carecoord.events import Role
from support import Api

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
SUBSCRIBE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position type } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 50) { edges { node { type } } } }"""
LOOKS_LIKE_THE_SERVERS = [
    (b"", {"Status": "100", "Description": "Idle Heartbeat"}),
    (b"", {"Status": "404", "Description": "No Messages"}),
    (b"{}", {"Status": "409", "Carecoord-Type": "careteam.CareTeamMemberAssigned"}),
]


async def test_a_status_header_on_the_stream_holds_neither_views_nor_subscriptions(
    api: Api,
) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Alex R.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = str(data["enrollClient"]["id"])
    joined = await api.join_care_team(client_id, Role.NURSE)
    settings = api.platform.settings
    js = api.platform.broker.connection.jetstream()
    subject = f"{settings.subject_root}.careteam.CareTeamMemberAssigned.{client_id}"

    variables = {"id": client_id, "after": joined}
    async with api.subscription(api.token(Role.NURSE), SUBSCRIBE, variables) as ws:
        for body, sent in LOOKS_LIKE_THE_SERVERS:
            await js.publish(subject, body, headers=sent, stream=settings.stream_name)
        position = await api.join_care_team(client_id, Role.THERAPIST)
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 15))

    assert message["type"] == "next", message
    assert message["payload"]["data"]["timeline"] == {
        "position": position,
        "type": "careteam.CareTeamMemberAssigned",
    }
    read = await api.ok(TIMELINE, {"id": client_id, "atLeast": position}, role=Role.NURSE)
    types = [edge["node"]["type"] for edge in read["clientTimeline"]["edges"]]
    assert types.count("careteam.CareTeamMemberAssigned") == 2
