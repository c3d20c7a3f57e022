"""A client enrolled under an id another of the platform's records goes by (a lot's record
of draws, a clinician's calendar: each derived from names anyone may read) no longer breaks
that record. Records of one context share ids, so the enrolment's own check read the lot's
draws as a site's stock, the API process kept that read, and every dose drawn from the lot
was an internal error until it restarted; a session booked for the client, led by the
clinician whose calendar's id it is, was an internal error too, and is now refused naming
``clientId`` (``id-of-another-record``), recording nothing. ``enrollClient`` now draws a
client's id from the upstream id it is given (``services/care/upstream.py``); clients
enrolled under such ids before are still stored, and are enrolled so here."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from medication_steps import DOSE, DOSING, Clinic, mutation
from stock_steps import methadone_receipt

from carecoord.events import Actor, Role
from carecoord.events.stock import draws_id
from carecoord.events.therapy import calendar_id
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from support import Api, ahead

pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
ADMIN = Stamp(Actor(id="admin-ids", role=Role.PROGRAM_ADMIN))
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")


async def enroll_as(api: Api, client_id: str, program: str = "OTP") -> None:
    """A client whose id is ``client_id`` itself, as ``enrollClient`` took it before."""
    enrolling = enroll_client(
        ADMIN, display_name="Id I.", program=program, client_id=UUID(client_id)
    )
    await api.platform.bus.execute(enrolling)


async def test_a_client_under_a_lots_id_leaves_the_lot_drawn_on(api: Api, today: date) -> None:
    site = f"Ids OTP {uuid4().hex[:8]}"
    await api.ok(RECEIVE, {"i": methadone_receipt(site, quantity="100")}, role=Role.NURSE)
    clinic = await Clinic.enroll(api, "Lo T.", program=site)
    order = (await clinic.methadone("60", today - timedelta(days=1)))["id"]

    await enroll_as(api, str(draws_id(site, "M-1")), site)
    await clinic.nurse(DOSE, orderId=order, lot="M-1", amount="60", dosageForm="oral solution")

    assert [e["status"] for e in (await clinic.read(DOSING))["entries"]] == ["given"]


async def test_a_session_for_a_client_under_its_leaders_calendar_id_is_refused(
    api: Api,
) -> None:
    leader = f"dr-cal-{uuid4().hex[:8]}"
    client_id = str(calendar_id(leader))
    await enroll_as(api, client_id)
    await api.join_care_team(client_id, Role.PRESCRIBER, leader)
    head = await asyncio.to_thread(api.platform.store.last_position)
    booking: dict[str, Any] = {
        "clientIds": [client_id], "modality": "CBT", "format": "INDIVIDUAL",
        "scheduledFor": ahead(days=2), "plannedMinutes": 50,
    }  # fmt: skip

    body = await api.gql(SCHEDULE, {"i": booking}, role=Role.PRESCRIBER, user=leader)

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "RULE_VIOLATION", "field": "clientId", "rule": "id-of-another-record"
    }  # fmt: skip
    assert await asyncio.to_thread(api.platform.store.last_position) == head
