"""A blind taper hides the client's medication and doses through its end date on the
program's dosing day (``CARECOORD_PROGRAM_TIME_ZONE``), the day its order is judged on:
the read grant lifted it on the database's date instead, so west of UTC the client saw the
taper hours before its last day was over, and east of it stayed blind after the order had
ended; ``accessAsOf`` took the day from the offset the auditor wrote ``at`` in, so one
instant had two answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import isolated_settings
from medication_steps import INDUCTED, MEDICATIONS, PRESCRIBE, TAPER, Clinic

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api

AS_OF = """query($user: String!, $client: UUID!, $at: DateTime!) {
  accessAsOf(userId: $user, role: CLIENT, clientId: $client, at: $at) {
    grant { kinds } refusal { rule } } }"""


@pytest.fixture
def zone(now: datetime) -> ZoneInfo:
    """A zone whose date is not UTC's as the test runs: a day ahead past noon, a day behind
    before."""
    return ZoneInfo("Etc/GMT-14" if now.hour >= 12 else "Etc/GMT+12")


@pytest.fixture
def settings(data_dir: Path, zone: ZoneInfo) -> Settings:
    return isolated_settings(data_dir, program_time_zone=str(zone))


async def blind_taper_ending(clinic: Clinic, end: date) -> int:
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="60",
        acknowledgements=[INDUCTED], unit="mg", route="oral",
        start=str(end - timedelta(days=3)),
    )  # fmt: skip
    taper = await clinic.doctor(
        TAPER, orderId=order["id"], steps=[{"start": str(end), "dose": "50"}], end=str(end),
        blind=True, reason="client-requested taper",
    )  # fmt: skip
    return int(taper["position"])


async def test_the_blind_lifts_after_its_last_day_in_the_programs_time_zone(
    api: Api, now: datetime, zone: ZoneInfo
) -> None:
    program_day, utc_day = now.astimezone(zone).date(), now.date()
    end = min(program_day, utc_day)  # the last day: today where that is earlier, else yesterday
    clinic = await Clinic.enroll(api, "Blind T.")
    position = await blind_taper_ending(clinic, end)

    body = await api.gql(
        MEDICATIONS, {"id": clinic.client_id, "atLeast": position, "history": True},
        role=Role.CLIENT, user=clinic.client_id,
    )  # fmt: skip

    if end >= program_day:  # the taper's last day, where the program doses: still blind
        assert body["errors"][0]["extensions"]["rule"] == "kind-may-read", body
    else:  # over where the program doses: the order has ended and the blind with it
        assert "errors" not in body, body
        [order] = [o for o in body["data"]["clientMedications"]["orders"] if o["blind"]]
        assert order["status"] == "ended"


async def test_access_as_of_an_instant_is_one_answer_whatever_its_offset(
    api: Api, now: datetime, zone: ZoneInfo
) -> None:
    """Asked now (a time to come is refused), written in the program's zone and in UTC,
    whose dates part: the last day is the earlier of the two, over where the program doses
    when its date is ahead of UTC's, and not yet over when it is behind."""
    clinic = await Clinic.enroll(api, "Blind A.")
    program_day, utc_day = now.astimezone(zone).date(), now.date()
    await blind_taper_ending(clinic, min(program_day, utc_day))
    ahead = program_day > utc_day
    there = datetime.now(UTC).astimezone(zone)
    answers = []
    for at in (there, there.astimezone(UTC)):
        found = await api.ok(
            AS_OF, {"user": clinic.client_id, "client": clinic.client_id, "at": at.isoformat()},
            role=Role.AUDITOR, user="auditor-1",
        )  # fmt: skip
        answers.append("medication" in found["accessAsOf"]["grant"]["kinds"])

    assert answers == [ahead, ahead]  # seen once the last day is over where the program doses
