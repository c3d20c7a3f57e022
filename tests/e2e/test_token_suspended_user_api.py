"""``carecoord token`` issues no token for a user a program admin suspended (the API
refuses them every request): it said nothing and printed one. It reads the suspension from
the store, and issues one again once the user is reinstated."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import uuid4

import pytest

from carecoord.events import Role
from carecoord.services.runtime.cli import main
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

SUSPEND = mutation("UserAccessInput", "suspendUser")
REINSTATE = mutation("UserAccessInput", "reinstateUser")


def token_for(
    user: str, capsys: pytest.CaptureFixture[str], role: str = "nurse"
) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["token", "--user", user, "--role", role])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


async def test_no_token_is_issued_for_a_suspended_user(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", api.platform.database_url)
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path))
    nurse = f"nurse-{uuid4().hex[:8]}"
    left = {"input": {"userId": nurse, "reason": "left the program"}}
    await api.ok(SUSPEND, left, role=Role.PROGRAM_ADMIN)

    status, out, err = await asyncio.to_thread(token_for, nurse, capsys)

    assert (status, out) == (2, "")
    assert f"argument --user: user {nurse} is suspended (user-suspended)" in err
    assert "Traceback" not in err
    await api.ok(REINSTATE, left, role=Role.PROGRAM_ADMIN)
    status, out, err = await asyncio.to_thread(token_for, nurse, capsys)
    assert status == 0
    assert "carecoord token" not in err
    assert out.strip().count(".") == 2  # a JWT


async def test_the_user_is_asked_as_the_api_reads_the_token(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--user`` with spaces around it, or a client's id in capitals, named a user the API
    reads otherwise (trimmed; the id in small letters), whose suspension was not asked."""
    monkeypatch.setenv("DATABASE_URL", api.platform.database_url)
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path))
    nurse, client = f"nurse-{uuid4().hex[:8]}", str(uuid4())
    for user in (nurse, client):
        await api.ok(
            SUSPEND, {"input": {"userId": user, "reason": "lost"}}, role=Role.PROGRAM_ADMIN
        )

    for user, role in ((f"  {nurse} ", "nurse"), (client.upper(), "client")):
        status, out, err = await asyncio.to_thread(token_for, user, capsys, role)
        assert (status, out) == (2, ""), err
        assert "(user-suspended)" in err
