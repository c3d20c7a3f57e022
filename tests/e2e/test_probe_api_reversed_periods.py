"""A client's view read for a period whose end is at or before its start (the two swapped)
is refused naming its end (period-end-after-start), as a reversed range of days and an
export's period are. Before, the timeline, the check-in series, the safety events, the level
of care history, the care team and the consents answered such a period empty, which a
clinician who swapped the two read as a period in which nothing happened."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import DOCTOR, Clinic

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

    await api.ok(read(view), {"id": clinic.client_id, "start": EARLY, "end": LATE}, **who)
