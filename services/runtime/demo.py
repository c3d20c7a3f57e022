"""Example clients, so that a new user sees timelines at once (``carecoord up --demo``)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from carecoord.events import Actor, Role, Schedule
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.idempotency import IdempotencyKey
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.medication.commands import administer_dose, prescribe
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.prescribing import NewOrder

log = logging.getLogger("carecoord.demo")

T = TypeVar("T")

ADMIN = Actor(id="demo-admin", role=Role.PROGRAM_ADMIN)
PRESCRIBER = Actor(id="dr-demo", role=Role.PRESCRIBER)
NURSE = Actor(id="nurse-demo", role=Role.NURSE)

CLIENTS = (
    # Within the induction caps (induction.py): the demo's new clients start there.
    ("Alex R.", "methadone", Decimal(40), "oral", "oral solution"),
    ("Sam K.", "buprenorphine-naloxone", Decimal(8), "sublingual", "sublingual film"),
    ("Jordan P.", "naltrexone", Decimal(50), "oral", "tablet"),
)


def demo_client_id(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://carecoord.dev/demo/{name}")


class _Steps:
    """Each step of one client's demo under an idempotency key of its own, so a load cut
    short (``up --demo`` stopped as it ran) goes on where it stopped at the next start: the
    steps done answer as they did. Skipping every client once enrolled left one enrolled
    then stopped without its care team, order or doses for good, its tokens refused."""

    def __init__(self, bus: CommandBus, name: str) -> None:
        self.bus, self.name = bus, name

    def run(self, actor: Actor, step: str, command: Command[T]) -> T:
        key = IdempotencyKey(actor.id, actor.role.value, f"demo:{self.name}:{step}", "demo")
        return self.bus.execute_sync(command, key=key).result


def load(bus: CommandBus) -> list[UUID]:
    """Enroll the demo clients with an order and a few days of doses; idempotent, and a load
    cut short is finished."""
    start = date.today() - timedelta(days=3)
    ids = []
    for name, medication, dose, route, form in CLIENTS:
        client_id = demo_client_id(name)
        ids.append(client_id)
        steps = _Steps(bus, name)
        admitted = datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=8)
        try:
            steps.run(
                ADMIN,
                "enroll",
                enroll_client(
                    Stamp(ADMIN),
                    display_name=name,
                    program="Demo OTP",
                    client_id=client_id,
                    occurred_at=admitted,
                ),
            )
        except RuleViolation as refused:  # loaded whole by a release that kept no keys
            if refused.rule != "already-enrolled":
                raise
            continue
        for member in (PRESCRIBER, NURSE):
            steps.run(
                ADMIN,
                f"assign-{member.id}",
                assign_member(
                    Stamp(ADMIN),
                    client_id=client_id,
                    member_id=member.id,
                    role=member.role,
                    occurred_at=admitted,
                ),
            )
        order = steps.run(
            PRESCRIBER,
            "prescribe",
            prescribe(
                Stamp(PRESCRIBER),
                client_id=client_id,
                order=NewOrder(
                    medication,
                    dose,
                    "mg",
                    route,
                    Schedule(),
                    start,
                    indication="opioid use disorder",
                    occurred_at=admitted + timedelta(minutes=30),
                ),
            ),
        ).id
        for day in range(3):
            given_at = datetime.combine(start + timedelta(days=day), datetime.min.time(), UTC)
            steps.run(
                NURSE,
                f"dose-{day}",
                administer_dose(
                    Stamp(NURSE),
                    client_id=client_id,
                    dose=GivenDose(order, dose, form, given_at=given_at + timedelta(hours=9)),
                ),
            )
        log.info("demo client loaded", extra={"client_id": str(client_id)})
    return ids
