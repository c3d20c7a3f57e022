"""A check-in's side effects and substances are words, as its note is: a nurse's may name
a dose ("sedation since methadone went to 120 mg"). The note was withheld from a peer
supporter, who sees no orders, but these were shown to them on the timeline, and the
substances in the alert's detail and summary line; now each reads as the note does, by its
writer's role. A client's own words are everyone's who sees the entry, as before."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from support import Api, ago, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
TIMELINE = """query($id: UUID!, $atLeast: Seq, $kinds: [Kind!]) {
  clientTimeline(clientId: $id, atLeast: $atLeast, kinds: $kinds) {
    edges { node { type summary facts withheld } } } }"""
NURSE, PEER = "nurse-words", "peer-words"
USED = "methadone 120 mg take-homes, extra"
SAID: dict[str, Any] = {"sideEffects": ["sedation since methadone went to 120 mg"],
                        "substanceUse": True, "substances": [USED], "craving": 40}  # fmt: skip


class Client:
    """A client with a nurse and a peer supporter on the care team."""

    def __init__(self, api: Api, client_id: str) -> None:
        self.api, self.id, self.at = api, client_id, 0

    @classmethod
    async def enrolled(cls, api: Api) -> Client:
        data = await api.ok(
            ENROLL, {"input": {"displayName": "Jo", "program": "OTP", "occurredAt": ago(days=9)}},
            role=Role.PROGRAM_ADMIN,
        )  # fmt: skip
        client = cls(api, data["enrollClient"]["id"])
        await api.join_care_team(client.id, Role.NURSE, NURSE)
        await api.join_care_team(client.id, Role.PEER_SUPPORTER, PEER)
        return client

    async def checks_in(self, **writer: Any) -> None:
        data = await self.api.ok(CHECK_IN, {"input": {"clientId": self.id, **SAID}}, **writer)
        self.at = data["recordCheckIn"]["position"]

    async def last(self, kind: str, role: Role = Role.PEER_SUPPORTER, user: str = PEER) -> Any:
        found = await self.api.ok(
            TIMELINE, {"id": self.id, "atLeast": self.at, "kinds": [kind]}, role=role, user=user
        )
        return found["clientTimeline"]["edges"][-1]["node"]


async def test_a_nurses_words_in_a_check_in_are_withheld_as_the_note_is(api: Api) -> None:
    client = await Client.enrolled(api)
    await client.checks_in(role=Role.NURSE, user=NURSE)
    check_in = await client.last("CHECK_IN")
    assert check_in["withheld"] == ["note", "side_effects", "substances"]
    facts = check_in["facts"]
    assert (facts["side_effects"], facts["substances"], facts["craving"]) == (None, None, 40)
    check_in = await client.last("CHECK_IN", Role.NURSE, NURSE)
    assert (check_in["withheld"], check_in["facts"]["substances"]) == ([], [USED])

    await client.checks_in(token=api.token(Role.CLIENT, client.id))
    check_in = await client.last("CHECK_IN")
    assert (check_in["withheld"], check_in["facts"]["substances"]) == ([], [USED])


async def test_an_alert_on_use_a_nurse_charted_names_no_words_of_theirs(api: Api) -> None:
    client = await Client.enrolled(api)
    await client.checks_in(role=Role.NURSE, user=NURSE)
    alert = await client.last("ALERT")
    assert alert["facts"]["detail"] == "use since last check-in: named in the check-in"
    assert "methadone" not in alert["summary"] + str(alert["facts"])

    await client.checks_in(token=api.token(Role.CLIENT, client.id))
    alert = await client.last("ALERT")
    assert alert["facts"]["detail"] == f"use since last check-in: {USED}"
