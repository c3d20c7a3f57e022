"""A role the X-Carecoord-Role header names that is no role is refused quoting it only when
it is a short printable name: a header of 30 kB went back whole in the refusal, to the
client's screen and whatever logs its responses."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
VARIABLES = {"input": {"displayName": "Quoted Q.", "program": "OTP"}}


async def refusal(api: Api, role: str) -> dict[str, Any]:
    answer = await api.http.post(
        "/graphql",
        json={"query": ENROLL, "variables": VARIABLES},
        headers={
            "Authorization": f"Bearer {api.token(Role.PROGRAM_ADMIN)}",
            "X-Carecoord-Role": role,
        },
    )
    [error] = answer.json()["errors"]
    assert error["extensions"]["rule"] == "known-role"
    return dict(error)


async def test_a_long_role_is_refused_without_being_quoted(api: Api) -> None:
    error = await refusal(api, "x" * 30_000)

    assert error["message"] == (
        "unknown role (not quoted: no printable text of 1 to 64 characters); yours: program_admin"
    )


async def test_a_short_role_is_quoted_beside_the_tokens_roles(api: Api) -> None:
    error = await refusal(api, "PROGRAM_ADMIN")

    assert error["message"] == "unknown role 'PROGRAM_ADMIN'; yours: program_admin"
