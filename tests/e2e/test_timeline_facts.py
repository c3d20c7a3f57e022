"""A timeline entry's ``facts`` are the event's own fields: who recorded it, when, and the
ids are the entry's other fields, not repeated inside it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from test_access import enroll

from carecoord.events import Role
from carecoord.graphql.seqs import Seq
from carecoord.graphql.timeline import RecordedBy, TimelineEntry
from carecoord.projections.timeline import ENVELOPE
from support import Api

TIMELINE = """query($id: UUID!, $atLeast: Seq) { clientTimeline(clientId: $id, atLeast: $atLeast) {
  edges { node { type eventId recordedBy { id role } facts } } } }"""


@pytest.mark.shared_platform
async def test_facts_carry_no_envelope(api: Api) -> None:
    client_id = await enroll(api, "Facts F.")
    joined = await api.join_care_team(client_id, Role.NURSE)

    data = await api.ok(TIMELINE, {"id": client_id, "atLeast": joined}, role=Role.NURSE)

    nodes = [e["node"] for e in data["clientTimeline"]["edges"]]
    enrolled = next(n for n in nodes if n["type"] == "care.ClientEnrolled")
    assigned = next(n for n in nodes if n["type"] == "careteam.CareTeamMemberAssigned")
    assert enrolled["facts"] == {"display_name": "Facts F.", "program": "OTP"}
    assert assigned["facts"]["member_id"] == "nurse-1"
    for node in nodes:
        assert not set(node["facts"]) & ENVELOPE, node["facts"]
    assert {"actor", "event_id", "client_id", "correlation_id"} <= ENVELOPE


def test_a_row_projected_with_its_envelope_shows_only_the_events_fields() -> None:
    stored = {
        "event_id": str(uuid4()),
        "client_id": str(uuid4()),
        "occurred_at": "2026-11-27T09:00:00+00:00",
        "recorded_at": "2026-11-27T09:00:01+00:00",
        "actor": {"id": "nurse-1", "role": "nurse"},
        "correlation_id": str(uuid4()),
        "causation_id": None,
        "mood": 6,
    }
    entry = TimelineEntry(
        position=Seq(1),
        event_id=uuid4(),
        type="checkins.CheckInRecorded",
        kind="check_in",
        summary="",
        occurred_at=datetime.now(UTC),
        recorded_at=datetime.now(UTC),
        recorded_by=RecordedBy(id="nurse-1", role="nurse"),
        withheld=[],
        facts_json=json.dumps(stored),
    )

    assert entry.facts() == {"mood": 6}
