"""A client is enrolled in a program under the name its other clients have: "otp" beside
"OTP" made two programs of one, so a program admin whose token names OTP saw none of the
clients enrolled as "otp", and the program's caseload, closure and reports each missed
them. A name written in other letters' case than an existing program's is refused, naming
``program`` and the name to write, and nothing is recorded; the same name, or another
program, is taken."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")


async def enrol(api: Api, program: str) -> dict[str, Any]:
    return await api.gql(
        ENROLL, {"input": {"displayName": "Sam", "program": program}}, role=Role.PROGRAM_ADMIN
    )


@pytest.mark.parametrize("written", ["{p}", " {p}  "])
async def test_a_program_written_in_other_letters_case_is_refused(api: Api, written: str) -> None:
    program = f"North OTP {uuid.uuid4().hex[:6]}"
    assert "errors" not in await enrol(api, program)
    head = api.platform.store.last_position()

    for other in (program.lower(), program.upper(), f" {program.swapcase()} "):
        answer = await enrol(api, other)
        (error,) = answer["errors"]
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT",
            "field": "program",
            "rule": "unmistakable-program",
        }
        assert repr(program) in error["message"]
    assert api.platform.store.last_position() == head

    assert "errors" not in await enrol(api, written.format(p=program))
    assert "errors" not in await enrol(api, f"{program} Medication Unit")
