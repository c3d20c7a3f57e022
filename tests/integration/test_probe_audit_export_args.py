"""``audit export`` refuses what it cannot honour before the access log records an export:
``--out`` naming a folder failed with a traceback after the entries were stored (an export
logged that nobody received), and an empty ``--as``, or one longer than any actor id, failed
building the auditor with a validation traceback instead of the usage and exit 2."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest
from audit_cli import export

from carecoord.events import Actor, Role
from carecoord.events.envelope import ACTOR_ID_MAX
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.cli import arguments

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
EXPORTS = "SELECT count(*) FROM access_log WHERE operation LIKE 'auditExport%%' AND actor_id = %s"


def exports_by(url: str, auditor: str) -> int:
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('access_log')").fetchone() == (None,):
            return 0
        found = conn.execute(EXPORTS, (auditor,)).fetchone()
    return 0 if found is None else int(found[0])


async def test_an_out_that_is_a_folder_is_refused_before_it_is_logged(
    platform: Platform, tmp_path: Path
) -> None:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))
    client = str(enrolled.result)

    done = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as", "aud-out",
                                   "--client", client, "--out", str(tmp_path))  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert f"carecoord audit export: cannot write {tmp_path}" in done.stderr
    assert "Traceback" not in done.stderr
    assert exports_by(platform.database_url, "aud-out") == 0

    out = tmp_path / "record.jsonl"
    written = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as", "aud-out",
                                      "--client", client, "--out", str(out))  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert exports_by(platform.database_url, "aud-out") == 1
    assert client in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("auditor", ["", "a" * (ACTOR_ID_MAX + 1), "aud\x1b[2J"])
async def test_an_auditor_no_actor_could_be_is_a_usage_error(
    platform: Platform, tmp_path: Path, auditor: str
) -> None:
    done = await asyncio.to_thread(
        export, platform.database_url, tmp_path, "--as", auditor, "--program", "OTP"
    )

    assert done.returncode == 2, done.stderr
    assert "argument --as:" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("given", ["2026-13-01T00:00Z", "yesterday", "2026-12-01T00:00+25:00"])
def test_a_time_that_is_no_time_is_a_usage_error_that_says_what_a_time_is(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "invalid _aware value", the name of a function inside the command."""
    with pytest.raises(SystemExit) as ended:
        arguments().parse_args(["audit", "export", "--program", "OTP", "--from", given,
                                "--as", "aud-time"])  # fmt: skip

    assert ended.value.code == 2
    said = capsys.readouterr().err
    assert "_aware" not in said
    assert "timedelta" not in said  # an offset past a day quoted Python's own value
    assert f"argument --from: {given!r} is not an ISO 8601 time with its offset" in said


async def test_out_dash_is_standard_output(platform: Platform, tmp_path: Path) -> None:
    """``--out -`` wrote a file named ``-``; it is standard output, as the default is."""
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name="Oz", program="OTP"))
    client = str(enrolled.result)

    done = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as", "aud-dash",
                                   "--client", client, "--out", "-")  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert client in done.stdout
    assert not (tmp_path / "-").exists()
