"""A client's reads that grow over their years in care, and a site's lots, answer at most the
rows one read answers and refuse more, naming the argument that narrows the read and the
rule, rather than answer them: a client's safety events and consents are read a period at a
time, their export a period of recording at a time, their medication list's history from the
timeline when it outgrows the bound, and a site's lots, and the lots its biennial inventory
counted, a page at a time. What fits under the bound reads as before. Bounds are lowered
here (years of records are too slow to make): the code reads them as it answers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from medication_steps import CHANGE, MEDICATIONS, PRESCRIBE, SAFETY, Clinic, mutation
from stock_steps import methadone_receipt
from test_access import CONSENT

from carecoord.events import Role
from carecoord.graphql import log_pages, record_export
from carecoord.projections.audit import settling
from support import Api

pytestmark = pytest.mark.shared_platform

SAFETY_IN = """query($id: UUID!, $atLeast: Seq, $from: DateTime, $to: DateTime) {
  clientSafetyEvents(clientId: $id, atLeast: $atLeast, occurredFrom: $from, occurredTo: $to) {
    refId occurredAt } }"""
CONSENTS = """query($id: UUID!, $atLeast: Seq, $from: DateTime, $to: DateTime) {
  consents(clientId: $id, atLeast: $atLeast, recordedFrom: $from, recordedTo: $to) {
    consentId recordedAt } }"""
EXPORT = """query($id: UUID!, $format: ExportFormat!, $from: DateTime, $to: DateTime) {
  exportClientRecord(clientId: $id, format: $format, recordedFrom: $from, recordedTo: $to) {
    events jsonLines bundle } }"""
ON_HAND = """query($site: String!, $atLeast: Seq, $first: Int, $after: String) {
  stockOnHand(site: $site, atLeast: $atLeast, first: $first, after: $after) {
    lots { lot onHand } byMedication { medication onHand }
    pageInfo { hasNextPage endCursor } } }"""
ACCESS_LOG = """query($id: UUID!) { accessLog(clientId: $id, first: 500) {
  operation outcome entriesReturned } }"""
RECEIVE = mutation("ReceiveStockInput", "receiveStock")
COUNT = mutation("CountStockInput", "countStock")
BIENNIAL = """query($site: String!, $atLeast: Seq, $d: Date!, $first: Int, $after: String) {
  biennialInventory(site: $site, atLeast: $atLeast, fromDay: $d, toDay: $d, first: $first,
    after: $after) { counts { countId lines { lot } } csv pageInfo { hasNextPage endCursor } } }"""
LEDGER = """query($site: String!, $d: Date!) {
  stockLedger(site: $site, fromDay: $d, toDay: $d, first: 1) { pageInfo { endCursor } } }"""
AUDITOR: dict[str, Any] = {"role": Role.AUDITOR, "user": "auditor-1"}


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    return error["extensions"]["field"], error["extensions"]["rule"], error["message"]


async def in_periods(
    api: Api, query: str, field: str, key: str, last: str, variables: dict[str, Any], **who: Any
) -> list[str]:
    """The rows' ``key`` read as two periods, before the time ``last`` and from it on, the
    second from where the first ends: each within the bound."""
    found: list[str] = []
    for period in ({"to": last}, {"from": last}):
        body = await api.gql(query, {**variables, **period}, **who)
        assert not body.get("errors"), body["errors"]
        found += [r[key] for r in body["data"][field]]
    return found


async def test_a_clients_safety_events_past_the_most_rows_are_refused_and_read_as_periods(
    api: Api, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await Clinic.enroll(api, "Safety S.")
    await clinic.methadone("40", today)
    naltrexone = {"medication": "naltrexone", "dose": "50", "unit": "mg", "route": "oral"}
    for _ in range(3):
        refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **naltrexone, start=str(today))
        clinic.position = refused["position"]
    whole = await clinic.read(SAFETY_IN)
    assert [e["refId"] for e in whole] == [e["refId"] for e in await clinic.read(SAFETY)]
    assert len(whole) == 3
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    variables = {"id": clinic.client_id, "atLeast": clinic.position}
    who: dict[str, Any] = {"role": Role.PRESCRIBER, "user": "dr-lee"}
    field, rule, message = refusal(await api.gql(SAFETY_IN, variables, **who))
    assert (field, rule) == ("occurredTo", "rows-at-most")
    assert "more than 2 rows" in message
    last = whole[-1]["occurredAt"]
    read = await in_periods(api, SAFETY_IN, "clientSafetyEvents", "refId", last, variables, **who)
    assert read == [e["refId"] for e in whole]


async def test_a_clients_consents_past_the_most_rows_are_refused_and_read_as_periods(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await Clinic.enroll(api, "Consents C.")
    for n in range(3):
        consent = {
            "clientId": clinic.client_id, "purpose": "treatment", "dataKinds": ["CARE"],
            "recipients": [{"type": "ORGANIZATION", "id": f"org-{n}", "name": f"Org {n}"}],
            "signedOn": str(datetime.now(UTC).date()), "signedBy": "Consents C.",
            "expiryEvent": "end of treatment",
        }  # fmt: skip
        data = await api.ok(CONSENT, {"input": consent}, role=Role.PROGRAM_ADMIN)
        clinic.position = data["recordConsent"]["position"]
    variables = {"id": clinic.client_id, "atLeast": clinic.position}
    who: dict[str, Any] = {"role": Role.PROGRAM_ADMIN}
    whole = (await api.ok(CONSENTS, variables, **who))["consents"]
    assert len(whole) == 3
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    field, rule, message = refusal(await api.gql(CONSENTS, variables, **who))
    assert (field, rule) == ("recordedTo", "rows-at-most")
    assert "more than 2 rows" in message
    last = whole[-1]["recordedAt"]
    read = await in_periods(api, CONSENTS, "consents", "consentId", last, variables, **who)
    assert read == [c["consentId"] for c in whole]


async def test_a_medication_list_past_the_most_entries_and_steps_is_refused_naming_history(
    api: Api, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await Clinic.enroll(api, "History H.")
    order = await clinic.methadone("40", today)
    await clinic.doctor(CHANGE, orderId=order["id"], dose="45", start=str(today))
    history = await clinic.read(MEDICATIONS, history=True)
    current = await clinic.read(MEDICATIONS)
    rows = [len(o["history"]) + 1 for o in history["orders"]]
    assert (len(history["orders"]), len(current["orders"])) == (2, 1)
    assert not history["statements"]
    assert not history["findings"]
    monkeypatch.setattr(log_pages, "MAX_ROWS", sum(rows) - 1)

    variables = {"id": clinic.client_id, "atLeast": clinic.position, "history": True}
    field, rule, message = refusal(
        await api.gql(MEDICATIONS, variables, role=Role.NURSE, user="nurse-kim")
    )
    assert (field, rule) == ("includeHistory", "rows-at-most")
    assert f"more than {sum(rows) - 1} entries and history steps" in message
    assert await clinic.read(MEDICATIONS) == current  # the current list fits: read as before
    monkeypatch.setattr(log_pages, "MAX_ROWS", 0)
    refused = await api.gql(MEDICATIONS, {**variables, "history": False}, **AUDITOR)
    assert refusal(refused)[:2] == ("clientId", "rows-at-most")


async def test_a_clients_export_past_the_most_events_is_refused_and_read_as_periods(
    api: Api, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await Clinic.enroll(api, "Export E.")
    order = await clinic.methadone("40", today)
    middle = datetime.now(UTC).isoformat()
    await clinic.doctor(CHANGE, orderId=order["id"], dose="45", start=str(today))
    variables = {"id": clinic.client_id, "format": "JSONL"}
    whole = (await api.ok(EXPORT, variables, **AUDITOR))["exportClientRecord"]
    lines = whole["jsonLines"].splitlines()
    assert whole["events"] == len(lines) > 2
    monkeypatch.setattr(record_export, "MAX_ENTRIES", len(lines) - 1)

    for format in ("JSONL", "FHIR"):
        body = await api.gql(EXPORT, {**variables, "format": format}, **AUDITOR)
        field, rule, message = refusal(body)
        assert (field, rule) == ("recordedTo", "rows-at-most")
        assert f"more than {len(lines) - 1} events and reads" in message
    log = (await api.ok(ACCESS_LOG, {"id": clinic.client_id}, **AUDITOR))["accessLog"]
    exports = [
        (e["outcome"], e["entriesReturned"]) for e in log if e["operation"] == "exportClientRecord"
    ]
    assert exports == [("GRANTED", len(lines)), ("GRANTED", 0), ("GRANTED", 0)]

    read: list[str] = []
    monkeypatch.setattr(settling, "SETTLE", timedelta(0))  # its end a moment ago, read at once
    for period in ({"to": middle}, {"from": middle}):
        part = (await api.ok(EXPORT, {**variables, **period}, **AUDITOR))["exportClientRecord"]
        read += part["jsonLines"].splitlines()
    assert read == lines
    # An auditor's Bundle carries the reads logged in the period too, these exports among them.
    fhir_period = {**variables, "format": "FHIR", "from": middle}
    assert refusal(await api.gql(EXPORT, fhir_period, **AUDITOR))[:2] == (
        "recordedTo", "rows-at-most",
    )  # fmt: skip
    monkeypatch.setattr(record_export, "MAX_ENTRIES", 100)
    fhir = await api.ok(EXPORT, fhir_period, **AUDITOR)
    changed = [e["resource"] for e in fhir["exportClientRecord"]["bundle"]["entry"]]
    orders = [r["status"] for r in changed if r["resourceType"] == "MedicationRequest"]
    assert sorted(orders) == ["active", "stopped"]  # the new order and the one it replaced


PROGRAM = """query($p: String!, $first: Int) { exportProgramRecord(program: $p, first: $first) {
  clients events } }"""


async def test_a_page_of_a_programs_export_past_the_most_events_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = f"Events {uuid.uuid4().hex[:6]}"
    for name in ("Ann E.", "Bo E."):
        await Clinic.enroll(api, name, program=program)
    whole = (await api.ok(PROGRAM, {"p": program}, **AUDITOR))["exportProgramRecord"]
    one = (await api.ok(PROGRAM, {"p": program, "first": 1}, **AUDITOR))["exportProgramRecord"]
    assert whole["clients"] == 2
    assert whole["events"] > one["events"]
    monkeypatch.setattr(record_export, "MAX_ENTRIES", one["events"])

    field, rule, message = refusal(await api.gql(PROGRAM, {"p": program}, **AUDITOR))
    assert (field, rule) == ("recordedTo", "rows-at-most")
    assert "or fewer clients a page (first)" in message
    page = (await api.ok(PROGRAM, {"p": program, "first": 1}, **AUDITOR))["exportProgramRecord"]
    assert page == one


async def test_a_sites_lots_past_the_most_rows_are_refused_and_read_a_page_at_a_time(
    api: Api, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = f"Lots {uuid.uuid4().hex[:6]}"
    for lot in ("L-1", "L-2", "L-3"):
        data = await api.ok(RECEIVE, {"i": methadone_receipt(site, lot=lot)}, role=Role.NURSE)
    variables = {"site": site, "atLeast": data["receiveStock"]["position"]}
    whole = (await api.ok(ON_HAND, variables, **AUDITOR))["stockOnHand"]
    assert [lot["lot"] for lot in whole["lots"]] == ["L-1", "L-2", "L-3"]
    assert whole["byMedication"] == [{"medication": "methadone", "onHand": "3000"}]
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    field, rule, message = refusal(await api.gql(ON_HAND, variables, **AUDITOR))
    assert (field, rule) == ("first", "rows-at-most")
    assert "more than 2 rows" in message
    page = (await api.ok(ON_HAND, {**variables, "first": 2}, **AUDITOR))["stockOnHand"]
    cursor = page["pageInfo"]["endCursor"]
    rest = (await api.ok(ON_HAND, {**variables, "first": 2, "after": cursor}, **AUDITOR))[
        "stockOnHand"
    ]
    assert page["lots"] + rest["lots"] == whole["lots"]
    assert (page["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)
    assert page["byMedication"] == rest["byMedication"] == whole["byMedication"]

    ledger = await api.ok(LEDGER, {"site": site, "d": str(today)}, **AUDITOR)
    another_log = ledger["stockLedger"]["pageInfo"]["endCursor"]
    body = await api.gql(ON_HAND, {**variables, "first": 1, "after": another_log}, **AUDITOR)
    assert refusal(body)[:2] == ("after", "cursor-log")


async def test_a_biennial_inventory_past_the_most_lots_counted_is_read_a_page_at_a_time(
    api: Api, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = f"Biennial {uuid.uuid4().hex[:6]}"
    lots = ["L-1", "L-2", "L-3"]
    for lot in lots:
        await api.ok(RECEIVE, {"i": methadone_receipt(site, lot=lot)}, role=Role.NURSE)
    count = {"site": site, "occasion": "CLOSING", "biennial": True, "witnessId": "nurse-ola",
             "lines": [{"lot": lot, "counted": "1000"} for lot in lots]}  # fmt: skip
    counted = await api.ok(COUNT, {"i": count}, role=Role.NURSE, user="nurse-kim")
    variables = {"site": site, "atLeast": counted["countStock"]["position"], "d": str(today)}
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    field, rule, message = refusal(await api.gql(BIENNIAL, variables, **AUDITOR))
    assert (field, rule) == ("first", "rows-at-most")
    assert "more than 2 lots counted" in message
    page = (await api.ok(BIENNIAL, {**variables, "first": 2}, **AUDITOR))["biennialInventory"]
    after = page["pageInfo"]["endCursor"]
    rest = (await api.ok(BIENNIAL, {**variables, "first": 2, "after": after}, **AUDITOR))[
        "biennialInventory"
    ]
    [head], [tail] = page["counts"], rest["counts"]  # the count goes on in the next page
    assert head["countId"] == tail["countId"] == counted["countStock"]["id"]
    assert [line["lot"] for line in head["lines"] + tail["lines"]] == lots
    assert [page["csv"].count("\n"), rest["csv"].count("\n")] == [3, 2]  # each with its header
    assert (page["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)
