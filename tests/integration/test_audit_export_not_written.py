"""An export logged, then not written out (``--out /dev/full``: a disk that is always full),
is marked so in the access log: a second entry for each client under the export's
correlation id, refused ``export-not-written``. The first entry alone read as a disclosure
made, which an accounting of disclosures (42 CFR Part 2) would then list."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys

from cli_run import said
from test_audit_export import enroll, export, logged

from carecoord.services.platform import Platform

CLI = (sys.executable, "-m", "carecoord.services.runtime.cli")


async def test_an_export_the_device_refuses_is_marked_not_written(platform: Platform) -> None:
    client = await enroll(platform, "Jo R.", "North")
    device = os.stat("/dev/full").st_mode

    done = await asyncio.to_thread(
        export, platform, "--client", str(client), "--as", "aud-7", "--out", "/dev/full"
    )

    assert stat.S_IMODE(os.stat("/dev/full").st_mode) == stat.S_IMODE(device)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    made, marked = logged(platform)
    assert (made["outcome"], made["entries_returned"]) == ("granted", 2)
    assert (marked["outcome"], marked["refusal"]) == ("refused", "export-not-written")
    assert (marked["client_id"], marked["actor"]) == (str(client), made["actor"])
    assert marked["correlation_id"] == made["correlation_id"]
    assert marked["entries_returned"] == 0
    assert said(done)[-1] == (
        "carecoord audit export: cannot write /dev/full: No space left on device; its"
        f" access-log entries (correlation id {made['correlation_id']}) are marked"
        " export-not-written"
    )


async def test_an_export_written_out_is_not_marked(platform: Platform) -> None:
    client = await enroll(platform, "Jo R.", "North")

    done = await asyncio.to_thread(export, platform, "--client", str(client), "--as", "aud-7")

    assert done.returncode == 0, done.stderr
    assert [e["outcome"] for e in logged(platform)] == ["granted"]


async def test_an_export_to_a_full_standard_output_is_marked_not_written(
    platform: Platform,
) -> None:
    client = await enroll(platform, "Jo R.", "North")

    done = await asyncio.to_thread(to_a_full_disk, platform, "--client", str(client))

    assert done.returncode == 2, done.stderr
    made, marked = logged(platform)
    assert (marked["outcome"], marked["refusal"]) == ("refused", "export-not-written")
    assert marked["correlation_id"] == made["correlation_id"]
    assert said(done)[-2:] == [
        f"carecoord audit export: its access-log entries (correlation id"
        f" {made['correlation_id']}) are marked export-not-written",
        "carecoord: cannot write the output (No space left on device)",
    ]


def to_a_full_disk(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    """``carecoord audit export --as aud-7 <args> > /dev/full``: a disk that is always full."""
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [*CLI, "audit", "export", "--as", "aud-7", *args],
            env={**os.environ, "DATABASE_URL": platform.database_url},
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
