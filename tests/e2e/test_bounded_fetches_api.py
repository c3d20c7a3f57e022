"""A read past its bound is refused having fetched at most one row more than the bound: an
export at most one event more from the store, and in an auditor's Bundle one logged read more
than what is left of it from the access log; a medication list one entry more from its view.
Each was read whole, a client's years of events, reads of their record or orders fetched and
decoded, before the count refused it, so one request for a long-treated client's record
held all of it in memory. What fits reads as before."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from medication_steps import CHANGE, MEDICATIONS, Clinic

from carecoord.events import Role
from carecoord.graphql import log_pages, record_export
from carecoord.projections import medications
from carecoord.projections.audit import history
from carecoord.services.infrastructure import access_log
from support import Api

pytestmark = pytest.mark.shared_platform

EXPORT = """query($id: UUID!, $format: ExportFormat!) {
  exportClientRecord(clientId: $id, format: $format) { events } }"""
AUDITOR: dict[str, Any] = {"role": Role.AUDITOR, "user": "auditor-1"}


class Fetched:
    """The rows a reader of the store (or of the access log) was answered, counted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.rows = 0
        read = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            found = read(*args, **kwargs)
            self.rows += len(found)
            return found

        async def counted_async(*args: Any, **kwargs: Any) -> Any:
            found = await read(*args, **kwargs)
            self.rows += len(found)
            return found

        is_async = module is not history
        monkeypatch.setattr(module, name, counted_async if is_async else counted)


async def test_an_export_past_the_most_events_fetches_one_more_than_the_most(
    api: Api, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await Clinic.enroll(api, "Bounded B.")
    order = await clinic.methadone("40", today)
    for dose in ("45", "35", "30"):
        order = await clinic.doctor(CHANGE, orderId=order["id"], dose=dose, start=str(today))
    variables = {"id": clinic.client_id, "format": "JSONL"}
    events = (await api.ok(EXPORT, variables, **AUDITOR))["exportClientRecord"]["events"]
    assert events > 6
    monkeypatch.setattr(record_export, "MAX_ENTRIES", 2)

    for format in ("JSONL", "FHIR"):
        store = Fetched(monkeypatch, history, "_read")
        body = await api.gql(EXPORT, {**variables, "format": format}, **AUDITOR)
        [error] = body["errors"]
        assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
            "recordedTo", "rows-at-most",
        )  # fmt: skip
        assert 0 < store.rows <= 3

    # The events fit; the reads of the record logged since (the exports above among them)
    # do not, and are fetched no further than one past what is left.
    monkeypatch.setattr(record_export, "MAX_ENTRIES", events + 1)
    log = Fetched(monkeypatch, access_log, "entries")
    body = await api.gql(EXPORT, {**variables, "format": "FHIR"}, **AUDITOR)
    assert body["errors"][0]["extensions"]["rule"] == "rows-at-most"
    assert log.rows == 2
    monkeypatch.setattr(record_export, "MAX_ENTRIES", 1000)
    whole = await api.ok(EXPORT, variables, **AUDITOR)
    assert whole["exportClientRecord"]["events"] == events


async def test_a_medication_list_past_the_most_fetches_one_entry_more_than_the_most(
    api: Api, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await Clinic.enroll(api, "Orders O.")
    order = await clinic.methadone("40", today)
    for dose in ("45", "35", "30"):
        order = await clinic.doctor(CHANGE, orderId=order["id"], dose=dose, start=str(today))
    variables = {"id": clinic.client_id, "atLeast": order["position"], "history": True}
    who: dict[str, Any] = {"role": Role.NURSE, "user": "nurse-kim"}
    whole = (await api.ok(MEDICATIONS, variables, **who))["clientMedications"]
    assert len(whole["orders"]) == 4
    current = await api.ok(MEDICATIONS, {**variables, "history": False}, **who)
    monkeypatch.setattr(log_pages, "MAX_ROWS", 2)

    view = Fetched(monkeypatch, medications, "of_client")
    body = await api.gql(MEDICATIONS, variables, **who)
    [error] = body["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "includeHistory", "rows-at-most",
    )  # fmt: skip
    assert 0 < view.rows <= 3
    monkeypatch.setattr(log_pages, "MAX_ROWS", 5)
    assert await api.ok(MEDICATIONS, {**variables, "history": False}, **who) == current
