"""An enrolment under an upstream system's id tells a program nothing of another program's.

The upstream id was the client's id, so a program enrolling a person another program had
enrolled under it was refused ``already-enrolled``: it learned that the person is in
treatment elsewhere (42 CFR Part 2). The client's id is drawn from the program and the
upstream id (``services/care/upstream.py``): another program's enrolment is not seen, and
a second one in the same program is refused naming the client its admin finds."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from test_access_admin_program import ENROLL, admin_of

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.kernel.stamp import Stamp
from support import Api

pytestmark = pytest.mark.shared_platform

CARE_TEAM = "query($id: UUID!) { careTeam(clientId: $id) { memberId } }"


async def enrol(api: Api, program: str, upstream: UUID) -> dict[str, Any]:
    given = {"displayName": "Riley T.", "program": program, "clientId": str(upstream)}
    return await api.gql(ENROLL, {"i": given}, token=admin_of(api, program))


async def test_another_programs_enrolment_under_the_upstream_id_is_not_told(api: Api) -> None:
    upstream, north, south = uuid4(), f"North {uuid4().hex[:8]}", f"South {uuid4().hex[:8]}"
    first = (await enrol(api, north, upstream))["data"]["enrollClient"]["id"]

    elsewhere = await enrol(api, south, upstream)
    again = await enrol(api, north, upstream)

    assert "errors" not in elsewhere, elsewhere
    assert elsewhere["data"]["enrollClient"]["id"] not in (first, str(upstream))
    [refused] = again["errors"]
    assert refused["extensions"]["rule"] == "already-enrolled"
    assert first in refused["message"]
    await api.ok(CARE_TEAM, {"id": first}, token=admin_of(api, north))


async def test_a_token_naming_a_program_enrolls_into_no_other(api: Api) -> None:
    """In any role: a nurse of one program was told whether another had the person."""
    upstream, north, south = uuid4(), f"North {uuid4().hex[:8]}", f"South {uuid4().hex[:8]}"
    await enrol(api, north, upstream)
    nurse = issue_token(api.platform.settings, "nurse-south", Role.NURSE, program=south)
    given = {"displayName": "Riley T.", "program": north, "clientId": str(upstream)}

    body = await api.gql(ENROLL, {"i": given}, token=nurse)

    [refused] = body["errors"]
    assert refused["extensions"] == {
        "code": "FORBIDDEN", "field": "program", "rule": "site-program",
    }  # fmt: skip


async def test_a_client_enrolled_under_the_upstream_id_itself_is_found_by_its_program(
    api: Api,
) -> None:
    """Enrolled before ids were drawn from it: its program is refused a second, and
    another program enrols the person as any other."""
    upstream, north, south = uuid4(), f"North {uuid4().hex[:8]}", f"South {uuid4().hex[:8]}"
    admin = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
    await api.platform.bus.execute(
        enroll_client(admin, display_name="Riley T.", program=north, client_id=upstream)
    )

    again, elsewhere = await enrol(api, north, upstream), await enrol(api, south, upstream)

    [refused] = again["errors"]
    assert (refused["extensions"]["rule"], str(upstream) in refused["message"]) == (
        "already-enrolled",
        True,
    )
    assert "errors" not in elsewhere, elsewhere


async def test_a_clinician_whose_token_names_no_program_enrols_no_upstream_id(api: Api) -> None:
    """Refused already-enrolled naming the client, a nurse of no program learned whether
    any program had the person; one whose token names the program is told, as its staff."""
    upstream, north = uuid4(), f"North {uuid4().hex[:8]}"
    first = (await enrol(api, north, upstream))["data"]["enrollClient"]["id"]
    given = {"displayName": "Riley T.", "program": north, "clientId": str(upstream)}
    own = issue_token(api.platform.settings, "nurse-north", Role.NURSE, program=north)

    asked = await api.gql(ENROLL, {"i": given}, role=Role.NURSE)
    again = await api.gql(ENROLL, {"i": {**given, "clientId": str(uuid4())}}, role=Role.NURSE)
    staff = await api.gql(ENROLL, {"i": given}, token=own)

    for refused in (asked, again):
        [error] = refused["errors"]
        assert error["extensions"] == {
            "code": "FORBIDDEN", "field": "clientId", "rule": "upstream-program",
        }  # fmt: skip
        assert first not in error["message"]
    [told] = staff["errors"]
    assert (told["extensions"]["rule"], first in told["message"]) == ("already-enrolled", True)
