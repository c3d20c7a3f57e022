"""A program's export answers at most 100 clients, each their whole history: without `first`
the program whole up to that, past it refused naming `first`; with `first` a page of clients
in the order they were enrolled, and pageInfo saying where the next starts. A pass of pages
exports each client once, one enrolled meanwhile too. The bound is lowered here (a hundred
enrolments are slow to record): the code reads it as it answers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from test_record_export_api import enroll

from carecoord.events import Role
from carecoord.graphql import record_export
from carecoord.graphql.log_pages import LogOrder
from support import Api

PAGE = """query($p: String!, $first: Int, $after: String) {
  exportProgramRecord(program: $p, format: FHIR, first: $first, after: $after) {
    clients bundle pageInfo { hasNextPage endCursor } } }"""


def patients(export: dict[str, Any]) -> list[str]:
    resources = [e["resource"] for e in export["bundle"]["entry"]]
    return [r["id"] for r in resources if r["resourceType"] == "Patient"]


async def export(api: Api, program: str, **page: Any) -> Any:
    return await api.gql(PAGE, {"p": program, **page}, role=Role.AUDITOR, user="auditor-1")


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    return error["extensions"]["field"], error["extensions"]["rule"], error["message"]


async def test_a_programs_export_past_the_most_clients_is_refused_and_read_a_page_at_a_time(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = f"Paged {uuid.uuid4().hex[:6]}"
    clients = [await enroll(api, program, name) for name in ("Ann P.", "Bo P.", "Cy P.")]
    whole = (await export(api, program))["data"]["exportProgramRecord"]
    assert (whole["clients"], patients(whole)) == (3, clients)
    assert whole["pageInfo"]["hasNextPage"] is False
    monkeypatch.setattr(record_export, "MAX_CLIENTS", 2)

    field, rule, message = refusal(await export(api, program))
    assert (field, rule) == ("first", "rows-at-most")
    assert "more than 2 clients" in message
    for first in (0, 3):
        assert refusal(await export(api, program, first=first))[:2] == ("first", "page-size")

    page = (await export(api, program, first=2))["data"]["exportProgramRecord"]
    clients.append(await enroll(api, program, "Di P."))  # enrolled between the pages
    cursor = page["pageInfo"]["endCursor"]
    rest = (await export(api, program, first=2, after=cursor))["data"]["exportProgramRecord"]
    assert [patients(page), patients(rest)] == [clients[:2], clients[2:]]
    assert (page["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)

    other = f"Other {uuid.uuid4().hex[:6]}"
    await enroll(api, other)
    elsewhere = (await export(api, other, first=1))["data"]["exportProgramRecord"]
    another_log = LogOrder("stockLedger", ("position",), (int,)).cursor({"position": 1})
    for cursor, rule in [
        (elsewhere["pageInfo"]["endCursor"], "cursor"),  # a client of another program
        (another_log, "cursor-log"),
    ]:
        refused = await export(api, program, first=1, after=cursor)
        assert refusal(refused)[:2] == ("after", rule)


async def test_a_program_is_exported_by_its_name_as_its_clients_were_enrolled_in_it(
    api: Api,
) -> None:
    """An enrolment trims the program's name, so "Named P. " enrolled clients in "Named P.";
    the export of "Named P. " answered no client, and a blank name none either: read as a
    program with no clients. Each now reads as the enrolment did, or is refused, as is a
    name no client is enrolled in."""
    program = f"Named {uuid.uuid4().hex[:6]}"
    enrolled = [await enroll(api, f"{program} ", "Ed N.")]

    for given in (program, f" {program} "):
        whole = (await export(api, given))["data"]["exportProgramRecord"]
        assert (whole["clients"], patients(whole)) == (1, enrolled), given
    for blank in ("", "   "):
        assert refusal(await export(api, blank))[:2] == ("program", "program-name")
    # A name no client is enrolled in (mistyped; in other letters' case) was exported as a
    # program with no clients, where the command line refuses it.
    assert refusal(await export(api, f"{program}x"))[:2] == ("program", "unknown-program")
    other_case = refusal(await export(api, program.upper()))
    assert other_case[:2] == ("program", "unmistakable-program")
    assert repr(program) in other_case[2]
