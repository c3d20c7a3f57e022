"""A client's grant kept between changes of the access views is decided again when the
program's day moves on: a blind taper lifts when its last day is over, with no view
changing then, and the kept grant went on hiding the client's medication from them until
some access change happened to come."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import isolated_settings
from medication_steps import MEDICATIONS, Clinic
from test_probe_audit_blind_taper_day import blind_taper_ending

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api

BEHIND, AHEAD = ZoneInfo("Etc/GMT+12"), ZoneInfo("Etc/GMT-14")  # 26 hours apart: other days


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, program_time_zone=str(BEHIND))


async def test_a_kept_grant_follows_the_programs_day(api: Api) -> None:
    now = datetime.now(UTC)
    last_day = now.astimezone(BEHIND).date()
    assert now.astimezone(AHEAD).date() > last_day
    clinic = await Clinic.enroll(api, "Blind K.")
    position = await blind_taper_ending(clinic, last_day)
    read = {"id": clinic.client_id, "atLeast": position, "history": True}

    blind = await api.gql(MEDICATIONS, read, role=Role.CLIENT, user=clinic.client_id)
    # The program's day is now past the taper's last day; no access view changes with it.
    platform = api.platform
    platform.medication = dataclasses.replace(platform.medication, zone=AHEAD)
    lifted = await api.gql(MEDICATIONS, read, role=Role.CLIENT, user=clinic.client_id)

    assert blind["errors"][0]["extensions"]["rule"] == "kind-may-read"
    assert "errors" not in lifted, lifted
