"""``myAlerts``, the alerts of the care teams one is on, is refused to the roles that are on
none (``role-has-caseload``, as ``myCaseload`` is). Before, a program admin, an auditor or a
client was answered an empty list, which read as "no open alerts" while a client of the
program had a PHQ-9 item 9 alert open."""

from __future__ import annotations

import pytest

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

MY_ALERTS = "{ myAlerts { alerts { alertId } } }"


@pytest.mark.parametrize("role", [Role.PROGRAM_ADMIN, Role.AUDITOR, Role.CLIENT])
async def test_the_alert_queue_is_for_care_team_roles(api: Api, role: Role) -> None:
    body = await api.gql(MY_ALERTS, role=role)
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "FORBIDDEN", "field": "role", "rule": "role-has-caseload",
    }, error  # fmt: skip


async def test_a_care_team_role_is_answered_its_queue(api: Api) -> None:
    for role in (Role.NURSE, Role.PEER_SUPPORTER):
        assert (await api.ok(MY_ALERTS, role=role))["myAlerts"]["alerts"] == []
