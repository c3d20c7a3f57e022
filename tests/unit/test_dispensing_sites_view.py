"""The registry's name keys a registration is decided on: the active sites', registered or
the program file's, and none of a site retired, the program file's included."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from carecoord.projections.dispensing_sites import REGISTERED, RETIRED, Change, active_keys


def change(site: str, kind: str, position: int) -> Change:
    return Change(
        position=position, seq=0, site=site, name_key=site.casefold(), change=kind,
        stock_id=uuid4(), occurred_at=datetime(2026, 12, 1, tzinfo=UTC), actor_id="admin-1",
    )  # fmt: skip


def test_a_retired_site_holds_no_name_and_the_program_files_sites_do() -> None:
    found = [
        change("North Unit", REGISTERED, 1),
        change("East Unit", REGISTERED, 2),
        change("East Unit", RETIRED, 3),
        change("South OTP", RETIRED, 4),
    ]

    keys = active_keys(found, ["South OTP", "West  OTP"])

    assert keys == {"north unit", "west otp"}
