"""An outside recipient gets only what a consent in force lets go, and each disclosure is
recorded with the consent it relied on. An alert goes only under a consent that also covers
what it tells of (a QTc alert on methadone: the medication)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime

from forwarding import received_by
from medication_steps import Clinic, mutation
from nats.aio.msg import Msg
from test_access import CONSENT, REVOKE, consent_to_organization, enroll
from test_access_writes import CHECK_IN
from test_disclosures_api import DISCLOSURES

from carecoord.events import Role
from carecoord.services.runtime.disclosure import CONSENT_HEADER, NOTICE_HEADER, Forwarder
from support import Api

RECIPIENT = "acme-health"
VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
TIMELINE = """query($id: UUID!, $atLeast: Seq) { clientTimeline(clientId: $id, atLeast: $atLeast,
  first: 100) { edges { node { type facts } } } }"""


async def check_in(api: Api, client_id: str, mood: int) -> int:
    done = await api.ok(
        CHECK_IN, {"input": {"clientId": client_id, "mood": mood}}, role=Role.CLIENT, user=client_id
    )
    return int(done["recordCheckIn"]["position"])


async def test_only_consented_kinds_go_out_until_revoked_each_recorded(api: Api) -> None:
    consenting, other = await enroll(api, "Sam K."), await enroll(api, "Jo P.")
    received: list[Msg] = []

    async def collect(msg: Msg) -> None:
        received.append(msg)

    nc = api.platform.broker.connection
    inbox = await nc.subscribe(f"{api.platform.settings.disclosure_root}.{RECIPIENT}.>", cb=collect)
    forwarder = Forwarder(api.platform, RECIPIENT, name="Acme", from_start=True)
    task = asyncio.create_task(forwarder.run())
    try:
        consent = (
            await api.ok(
                CONSENT,
                {
                    "input": {
                        "clientId": consenting,
                        "recipients": [{"type": "ORGANIZATION", "id": RECIPIENT, "name": "Acme"}],
                        "purpose": "care coordination with primary care",
                        "dataKinds": ["CHECK_IN"],
                        "signedOn": str(datetime.now(UTC).date()),
                        "expiryEvent": "end of treatment",
                        "signedBy": "Sam K.",
                    }
                },
                role=Role.PROGRAM_ADMIN,
            )
        )["recordConsent"]
        await check_in(api, consenting, 7)
        await check_in(api, other, 4)  # no consent of theirs
        before_revoking = await api.join_care_team(consenting, Role.THERAPIST)  # care: not covered
        await asyncio.wait_for(forwarder.reached(before_revoking), 20)
        await api.ok(
            REVOKE,
            {"input": {"clientId": consenting, "consentId": consent["id"], "reason": "in writing"}},
            role=Role.CLIENT,
            user=consenting,
        )
        last = await check_in(api, consenting, 8)
        await asyncio.wait_for(forwarder.reached(last), 20)
        await nc.flush()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await inbox.unsubscribe()

    assert [m.subject for m in received] == [
        f"{api.platform.settings.disclosure_root}.{RECIPIENT}.checkins.CheckInRecorded.{consenting}"
    ]
    sent = received[0]
    assert json.loads(sent.data)["mood"] == 7
    assert (sent.headers or {})[CONSENT_HEADER] == consent["id"]
    assert "42 CFR part 2" in (sent.headers or {})[NOTICE_HEADER]
    head = await asyncio.to_thread(api.platform.store.last_position)
    timeline = await api.ok(TIMELINE, {"id": consenting, "atLeast": head}, role=Role.PROGRAM_ADMIN)
    disclosures = [
        e["node"]["facts"]
        for e in timeline["clientTimeline"]["edges"]
        if e["node"]["type"] == "access.DisclosureRecorded"
    ]
    assert len(disclosures) == 1
    assert disclosures[0]["recipient"]["id"] == RECIPIENT
    assert disclosures[0]["consent_id"] == consent["id"]
    assert disclosures[0]["data_kinds"] == ["check_in"]
    assert disclosures[0]["purpose"] == "care coordination with primary care"
    # The client's accounting has it: sent by the forwarder, the one event it named.
    accounting = await api.ok(
        DISCLOSURES, {"id": consenting, "atLeast": head}, role=Role.CLIENT, user=consenting
    )
    [went] = accounting["disclosures"]
    assert went == went | {
        "status": "SENT",
        "maybeSent": False,
        "recipientId": RECIPIENT,
        "consentId": consent["id"],
        "eventCount": 1,
        "recordedBy": f"disclose-{RECIPIENT}",
    }


async def test_an_alert_goes_only_under_a_consent_to_what_it_tells(api: Api) -> None:
    """Before, a consent to alerts and check-ins let the QTc alert go: 'QTc 520 ms on
    methadone' to a recipient the client had consented no medication to."""
    clinic = await Clinic.enroll(api, "Val W.")
    await consent_to_organization(
        api, clinic.client_id, RECIPIENT, ["ALERT", "CHECK_IN"],
        signed_by="Val W.", purpose="crisis line follow-up",
    )  # fmt: skip
    today = datetime.now(UTC).date()
    await clinic.methadone("60", today)
    await clinic.nurse(VITALS, qtcMs=520)
    item9 = [{"item": str(n), "value": 1 if n == 9 else 0} for n in range(1, 10)]
    await clinic.nurse(SCORE, instrument="PHQ9", answers=item9)
    received = await received_by(api.platform, RECIPIENT, within="alerts.>")

    rules = [json.loads(m.data)["rule_id"] for m in received]
    assert rules == ["phq9-item9"]
