"""A consent naming whoever recorded it, kept before such consents were refused, grants them
nothing: not today's reads, nor what an auditor asks they could see. Before, a therapist's
own counseling-note consent kept opening every other therapist's SUD counseling notes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from counseling_notes import client_with_a_note

from carecoord.events import Actor, Kind, Role
from carecoord.events.consent import ConsentRecorded, Recipient, RecipientType
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import UnitOfWork
from support import Api

pytestmark = pytest.mark.shared_platform

TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) { edges { node { kind } } } }"""
AS_OF = """query($c: UUID!, $at: DateTime!) {
  accessAsOf(userId: "ther-self", role: THERAPIST, clientId: $c, at: $at) {
    grant { kinds consentIds } timeline { kind } } }"""
OWN = Actor(id="ther-self", role=Role.THERAPIST)


def own_consent(client_id: UUID) -> Any:
    """The consent as a therapist could record it before: naming themself, for notes."""

    def run(uow: UnitOfWork) -> UUID:
        consent_id = uuid4()
        uow.get(ConsentRecord, client_id).record(
            Stamp(OWN).event(
                ConsentRecorded,
                client_id,
                None,
                consent_id=consent_id,
                recipients=(Recipient(type=RecipientType.MEMBER, id=OWN.id),),
                purpose="treatment",
                data_kinds=(Kind.COUNSELING_NOTE,),
                signed_on=datetime.now(UTC).date(),
                signed_by="Rae T.",
            )
        )
        return consent_id

    return run


async def test_a_consent_its_recorder_named_themself_in_opens_no_notes(api: Api) -> None:
    client_id, _ = await client_with_a_note(api, colleague=OWN.id)

    kept = await api.platform.bus.execute(own_consent(UUID(client_id)))
    seen = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": kept.position}, role=Role.THERAPIST, user=OWN.id
    )
    asked = await api.ok(
        AS_OF, {"c": client_id, "at": datetime.now(UTC).isoformat()}, role=Role.AUDITOR
    )

    assert "counseling_note" not in {e["node"]["kind"] for e in seen["clientTimeline"]["edges"]}
    grant = asked["accessAsOf"]["grant"]
    assert grant["consentIds"] == []
    assert "counseling_note" not in grant["kinds"]
    assert "counseling_note" not in {e["kind"] for e in asked["accessAsOf"]["timeline"]}
