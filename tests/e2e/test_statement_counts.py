"""No N+1: the statements a list query sends do not grow with the number of items it returns.

What does grow with a caseload is the access check itself: one grant decision per client
(and the group-committed access-log entries), as for every read of a client's record, the
clients' standings read in one statement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from statements import statements

from carecoord.events import Role
from support import Api

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
CHECK_IN = """mutation($input: RecordCheckInInput!) { recordCheckIn(input: $input) { position } }"""
LEVEL = """mutation($input: ChangeLevelOfCareInput!) {
  changeLevelOfCare(input: $input) { position } }"""
TIMELINE = """query($id: UUID!, $p: Seq) { clientTimeline(clientId: $id, atLeast: $p, first: 500) {
  nodes { position type recordedBy { id role } facts } pageInfo { endCursor } } }"""
LEVELS = """query($id: UUID!, $p: Seq) { levelOfCareHistory(clientId: $id, atLeast: $p) {
  level since until } }"""
CASELOAD = """query($p: Seq) { myCaseload(atLeast: $p) { clients { clientId displayName
  needsAttention openAlerts consecutiveMissedDays checkInOverdue nextSessionAt } } }"""
TEAM_CHECK = "SELECT client_id, ended_at FROM"
"""A team listing's check of who the reader is on the team of now (``readable_on_team``)."""
SUSPENSION = "AS reinstatements"
"""Whether the caller is suspended or was reinstated since their token was issued, asked of
the store once a request (``not_suspended``)."""
ACCESS_PATH = ("on_care_team", "access_log", "access_changed_at", TEAM_CHECK, SUSPENSION)


async def enroll(api: Api, name: str) -> str:
    data = await api.ok(
        ENROLL, {"input": {"displayName": name, "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    return str(data["enrollClient"]["id"])


async def sent(
    api: Api, monkeypatch: pytest.MonkeyPatch, query: str, variables: dict[str, Any], role: Role
) -> list[str]:
    """Statements of one query, once the views are at ``variables['p']`` (nothing else runs)."""
    await api.ok(query, variables, role=role)
    with statements(monkeypatch) as seen:
        await api.ok(query, variables, role=role)
    return seen


async def check_in(api: Api, client_id: str, n: int) -> int:
    done = await api.ok(
        CHECK_IN, {"input": {"clientId": client_id, "craving": n}},
        role=Role.CLIENT, user=client_id,
    )  # fmt: skip
    return int(done["recordCheckIn"]["position"])


async def change_level(api: Api, client_id: str, n: int) -> int:
    level = ("RESIDENTIAL", "OUTPATIENT")[n % 2]
    done = await api.ok(
        LEVEL, {"input": {"clientId": client_id, "level": level}}, role=Role.THERAPIST
    )
    return int(done["changeLevelOfCare"]["position"])


@pytest.mark.shared_platform
@pytest.mark.parametrize(
    ("query", "reader", "record", "sizes"),
    [
        pytest.param(TIMELINE, Role.NURSE, check_in, (1, 28), id="timeline page, 3 or 30 entries"),
        pytest.param(
            LEVELS, Role.THERAPIST, change_level, (1, 6), id="level of care history, 1 or 6 changes"
        ),
    ],
)
async def test_a_client_list_costs_the_same_for_few_or_many_items(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    reader: Role,
    record: Callable[[Api, str, int], Awaitable[int]],
    sizes: tuple[int, int],
) -> None:
    """``reader`` reads ``query`` about a client on their care team once ``record`` has been
    done a few times, then many: the statements it sends are as many."""
    costs = []
    for size in sizes:
        client_id = await enroll(api, f"Jo {size}")
        position = await api.join_care_team(client_id, reader)
        for n in range(size):
            position = await record(api, client_id, n)
        seen = await sent(api, monkeypatch, query, {"id": client_id, "p": position}, reader)
        costs.append(len(seen))
    assert costs[0] == costs[1] > 0, costs


async def test_the_caseload_reads_its_data_in_one_statement_for_any_size(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: list[tuple[int, list[str]]] = []
    size = 0
    for target in (1, 6):
        while size < target:
            client_id = await enroll(api, f"Lee {size}")
            position = await api.join_care_team(client_id, Role.NURSE)
            await api.ok(
                CHECK_IN, {"input": {"clientId": client_id, "craving": 3}},
                role=Role.CLIENT, user=client_id,
            )  # fmt: skip
            size += 1
        seen = await sent(api, monkeypatch, CASELOAD, {"p": position}, Role.NURSE)
        measured.append((size, seen))
    for size, seen in measured:
        data = [s for s in seen if not any(mark in s for mark in ACCESS_PATH)]
        grants = [s for s in seen if "on_care_team" in s]
        settled = [s for s in seen if "access_changed_at" in s]
        assert len(data) == 1, data
        # Whom the reader is on the team of, before and after the views settle: two in all.
        assert len([s for s in seen if TEAM_CHECK in s]) == 2
        # The access views are checked against the store once for the whole caseload.
        assert len(settled) == 1, settled
        assert len([s for s in seen if SUSPENSION in s]) == 1
        # At most one grant decision per client, as for any read; fewer where a grant decided
        # earlier still holds (services/infrastructure/remembered.py).
        assert len(grants) <= size


async def test_a_cold_caseload_decides_its_clients_in_one_statement(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read for the first time (no grant kept), a caseload's clients are decided together:
    one statement each took a thousand for a program-wide team, each a round trip."""
    position = 0
    for n in range(6):
        client_id = await enroll(api, f"Cold {n}")
        position = await api.join_care_team(client_id, Role.NURSE, "nurse-cold")

    with statements(monkeypatch) as seen:
        found = await api.ok(CASELOAD, {"p": position}, role=Role.NURSE, user="nurse-cold")

    assert len(found["myCaseload"]["clients"]) == 6
    assert len([s for s in seen if "on_care_team" in s]) == 1
