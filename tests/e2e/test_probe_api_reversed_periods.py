"""A client's view read for a period whose end is at or before its start (the two swapped)
is refused naming its end (period-end-after-start), as a reversed range of days and an
export's period are. Before, the timeline, the check-in series, the safety events, the level
of care history, the care team and the consents answered such a period empty, which a
clinician who swapped the two read as a period in which nothing happened. So is one ending
before anything can be recorded (period-after-records-begin, ``0001-01-01``): answered empty,
it was logged as a read of the client. Neither refusal is logged: the check-in series, the
safety events and the level of care history logged theirs as a read returning none."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import DOCTOR, Clinic
from test_access import access_log

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

VIEWS = {
    "clientTimeline": ("occurredFrom", "occurredTo", "edges { cursor }"),
    "checkInSeries": ("occurredFrom", "occurredTo", "measure"),
    "clientSafetyEvents": ("occurredFrom", "occurredTo", "refId"),
    "levelOfCareHistory": ("occurredFrom", "occurredTo", "level"),
    "careTeam": ("startedFrom", "startedTo", "memberId"),
    "consents": ("recordedFrom", "recordedTo", "consentId"),
}
EARLY, LATE = "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"


def read(view: str) -> str:
    start, end, shown = VIEWS[view]
    return f"""query($id: UUID!, $start: DateTime, $end: DateTime) {{
      {view}(clientId: $id, {start}: $start, {end}: $end) {{ {shown} }} }}"""


@pytest.mark.parametrize("view", VIEWS)
async def test_a_period_ending_at_or_before_its_start_is_refused_naming_its_end(
    api: Api, view: str
) -> None:
    clinic = await Clinic.enroll(api, "Period P.")
    who: dict[str, Any] = {"role": Role.PRESCRIBER, "user": DOCTOR}
    _, end, _ = VIEWS[view]

    for start, last in [(LATE, EARLY), (LATE, LATE)]:
        variables = {"id": clinic.client_id, "start": start, "end": last}
        body = await api.gql(read(view), variables, **who)
        [error] = body["errors"]
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT", "field": end, "rule": "period-end-after-start"
        }, (start, last)  # fmt: skip
    assert view not in {e["operation"] for e in await access_log(api, clinic.client_id)}

    await api.ok(read(view), {"id": clinic.client_id, "start": EARLY, "end": LATE}, **who)


@pytest.mark.parametrize("view", VIEWS)
async def test_a_period_ending_before_anything_is_recorded_is_refused_and_not_logged(
    api: Api, view: str
) -> None:
    clinic = await Clinic.enroll(api, "Period Y.")
    who: dict[str, Any] = {"role": Role.PRESCRIBER, "user": DOCTOR}
    _, end, _ = VIEWS[view]
    variables = {"id": clinic.client_id, "end": "0001-01-01T00:00:00Z"}

    [error] = (await api.gql(read(view), variables, **who))["errors"]

    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        end,
        "period-after-records-begin",
    )
    assert view not in {e["operation"] for e in await access_log(api, clinic.client_id)}
