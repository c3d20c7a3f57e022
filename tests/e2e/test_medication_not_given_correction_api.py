"""Through the API: a dose not given charted late for a day the sweep had found missed, on the
wrong client, is marked entered in error by its own id (`recordDoseNotGiven`'s `entryId`):
the day counts as missed again, in `clientDosing` and the caseload, and no longer as not
given; the entry stays, marked. Every refusal names its field and rule and records nothing.
Before, the entry had no id and no correction: the wrong day stayed explained for good."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import uuid4

import pytest
from medication_steps import NURSE, Clinic, at, mutation
from test_idempotent_mutations import post

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

RECORD = mutation("DoseNotGivenInput", "recordDoseNotGiven", "{ id position entryId }")
IN_ERROR = mutation("NotGivenInErrorInput", "markDoseNotGivenEnteredInError")
DOSING = """query($id: UUID!, $atLeast: Seq) { clientDosing(clientId: $id, atLeast: $atLeast) {
  missed notGiven entries { day status detail entryId enteredInError explained } } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 500) { nodes { type eventId } } }"""
CASELOAD = """query($at: Seq) { myCaseload(atLeast: $at) {
  clients { clientId consecutiveMissedDays recentMissedDays } } }"""


async def test_a_dose_not_given_in_error_leaves_the_counts_and_its_day_is_missed_again(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Noor S.")
    yesterday = today - timedelta(days=1)
    order = (await clinic.methadone("40", yesterday - timedelta(days=1)))["id"]
    await clinic.dose(order, yesterday - timedelta(days=1), "40")
    await clinic.swept(today)  # yesterday is found missed
    variables = {
        "i": {"clientId": clinic.client_id, "orderId": order, "reason": "DECLINED",
              "occurredAt": at(yesterday)},
    }  # fmt: skip
    first = await post(api, RECORD, variables, key="window-1/noor/late")
    again = await post(api, RECORD, variables, key="window-1/noor/late")
    recorded = first.json()["data"]["recordDoseNotGiven"]
    assert recorded["id"] == order, "the order, as recordDoseNotGiven always answered"
    assert again.json() == first.json(), "a retry answers with the same entry"
    entry = recorded["entryId"]
    clinic.position = recorded["position"]
    explained = await clinic.read(DOSING)
    assert (explained["missed"], explained["notGiven"]) == (0, 1)
    assert [e["entryId"] for e in explained["entries"] if e["status"] == "not-given"] == [entry]
    timeline = (await clinic.read(TIMELINE))["nodes"]
    assert [n["eventId"] for n in timeline if n["type"] == "medication.DoseNotGiven"] == [entry]

    head = await asyncio.to_thread(api.platform.store.last_position)
    unknown = await clinic.refused(IN_ERROR, entryId=str(uuid4()), reason="wrong client")
    an_order = await clinic.refused(IN_ERROR, entryId=order, reason="wrong client")
    blank = await clinic.refused(IN_ERROR, entryId=entry, reason=" \u200b ")
    therapist = await api.gql(
        IN_ERROR,
        {"i": {"clientId": clinic.client_id, "entryId": entry, "reason": "wrong client"}},
        role=Role.THERAPIST,
    )
    assert (unknown["code"], unknown["field"], unknown["rule"]) == (
        "NOT_FOUND", "entryId", "unknown-entry",
    )  # fmt: skip
    assert (an_order["field"], an_order["rule"]) == ("entryId", "unknown-entry")
    assert (blank["code"], blank["field"], blank["rule"]) == (
        "BAD_USER_INPUT", "reason", "reason-required",
    )  # fmt: skip
    refusal = therapist["errors"][0]["extensions"]
    assert (refusal["code"], refusal["rule"]) == ("FORBIDDEN", "role-may-record")
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    marked = await clinic.nurse(IN_ERROR, entryId=entry, reason="charted on Noor, was Nour")
    twice = await clinic.refused(IN_ERROR, Role.PRESCRIBER, entryId=entry, reason="again")

    assert marked["id"] == entry
    assert (twice["code"], twice["field"], twice["rule"]) == (
        "RULE_VIOLATION", "entryId", "not-in-error",
    )  # fmt: skip
    dosing = await clinic.read(DOSING)
    assert (dosing["missed"], dosing["notGiven"]) == (1, 0)
    day = [e for e in dosing["entries"] if e["day"] == str(yesterday)]
    assert [(e["status"], e["entryId"], e["enteredInError"], e["explained"]) for e in day] == [
        ("missed", None, False, False),
        ("not-given", entry, True, False),
        ("not-given-in-error", entry, False, False),
    ]
    assert day[-1]["detail"] == "charted on Noor, was Nour"
    caseload = await api.ok(CASELOAD, {"at": clinic.position}, role=Role.NURSE, user=NURSE)
    [line] = [c for c in caseload["myCaseload"]["clients"] if c["clientId"] == clinic.client_id]
    assert (line["consecutiveMissedDays"], line["recentMissedDays"]) == (1, 1)
