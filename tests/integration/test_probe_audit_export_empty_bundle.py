"""A Bundle with no resource leaves ``entry`` out: FHIR's JSON never carries an empty array
(a property with no values is absent), and a strict parser refused the empty period's
``"entry": []``, the API's and the command line's alike; one with resources keeps it."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime
from uuid import uuid4

from carecoord.events import Actor, Role
from carecoord.projections.audit.fhir import bundle
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime import audit_export

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def arguments(program: str, recorded_to: datetime | None) -> argparse.Namespace:
    return argparse.Namespace(
        client=None, program=program, recorded_from=None, recorded_to=recorded_to,
        format="fhir", out=None, auditor=f"aud-{uuid4().hex[:6]}",
    )  # fmt: skip


def test_a_bundle_of_no_resource_has_no_entry() -> None:
    made = bundle([], bundle_id=uuid4(), at=LONG_AGO)

    assert "entry" not in made
    assert made["type"] == "collection"


async def test_the_command_lines_bundle_of_an_empty_period_has_no_entry(
    platform: Platform,
) -> None:
    program = f"Empty {uuid4().hex[:6]}"
    await platform.bus.execute(enroll_client(ADMIN, display_name="E0", program=program))
    empty, whole = io.StringIO(), io.StringIO()

    await audit_export.export(
        platform.store, platform.database_url, arguments(program, LONG_AGO), UTC, empty
    )
    await audit_export.export(
        platform.store, platform.database_url, arguments(program, None), UTC, whole
    )

    assert "entry" not in json.loads(empty.getvalue())
    made = [e["resource"]["resourceType"] for e in json.loads(whole.getvalue())["entry"]]
    assert "Patient" in made
