"""``audit export --out`` writes the record readable by its owner alone (0600), whatever the
umask: a client's Part 2 record was written world-readable (0644 under the usual umask),
for every user of the machine, and an existing file kept whatever mode it had."""

from __future__ import annotations

import asyncio
import stat
import subprocess
from pathlib import Path

from audit_cli import export as export_with

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def export(url: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Under the usual umask, which would leave a new file world-readable."""
    return export_with(url, cwd, *extra, umask=0o022)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_exported_record_is_readable_by_its_owner_alone(
    platform: Platform, tmp_path: Path
) -> None:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))
    client = str(enrolled.result)
    new, existing = tmp_path / "new.jsonl", tmp_path / "existing.jsonl"
    existing.write_text("")
    existing.chmod(0o644)

    for out in (new, existing):
        done = await asyncio.to_thread(
            export, platform.database_url, tmp_path, "--as", "aud-mode", "--client", client,
            "--out", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert client in out.read_text(encoding="utf-8")
        assert mode(out) == 0o600, (out.name, oct(mode(out)))
