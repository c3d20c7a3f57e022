"""The issue's controlled-substance scenario through the GraphQL API: a month of dosing two
methadone clients at one site, with receipts on DEA Form 222, opening and closing counts by
one nurse witnessed by another, a witnessed spill, and one closing count short by 10 mg that
the reconciliation finds: the discrepancy is raised, visible, and resolved as a loss
reported, after which the counts reconcile again. The inspector's exports follow.

Day 0 is 28 days ago; day 28 is today (times still to come today are now).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import INDUCTED, PRESCRIBE, Clinic, at, mutation

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api

# The site is this test's own program: it reads nothing beyond it.
pytestmark = pytest.mark.shared_platform

RECEIVE = mutation("ReceiveStockInput", "receiveStock")
COUNT = mutation("CountStockInput", "countStock")
WASTE = mutation("WasteStockInput", "wasteStock")
WITNESS = mutation("WitnessStockEntryInput", "witnessStockEntry")
RESOLVE = mutation("ResolveStockDiscrepancyInput", "resolveStockDiscrepancy")
ON_HAND = """query($site: String!, $atLeast: Seq) { stockOnHand(site: $site, atLeast: $atLeast) {
  lots { lot medication strength received wasted lost dispensed onHand lastCounted }
  byMedication { medication dosageForm onHand } } }"""
DISCREPANCIES = """query($site: String!, $atLeast: Seq, $open: Boolean!) {
  stockDiscrepancies(site: $site, atLeast: $atLeast, openOnly: $open) {
    alertId lot medication counted expected variance severity countedBy resolution
    resolvedBy } }"""
COUNTS = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!) {
  stockCounts(site: $site, atLeast: $atLeast, fromDay: $from, toDay: $to) {
    countId occasion day countedBy witnessId witnessedAt
    lines { lot counted expected variance } } }"""
LEDGER = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!) {
  stockLedger(site: $site, atLeast: $atLeast, fromDay: $from, toDay: $to) {
    rows { kind lot change detail } csv } }"""
BIENNIAL = """query($site: String!, $atLeast: Seq, $from: Date!, $to: Date!) {
  biennialInventory(site: $site, atLeast: $atLeast, fromDay: $from, toDay: $to) {
    counts { occasion lines { lot counted } } csv } }"""

NURSE, SECOND_NURSE, DOCTOR = "nurse-kim", "nurse-ola", "dr-lee"
SUPPLIER: dict[str, Any] = {"supplier": "Mallinckrodt", "supplierDeaNumber": "RM1234563"}
Day = Callable[[int], date]


@pytest.fixture
def day(today: date) -> Day:
    """Day ``n`` of the month: day 28 is the test's today."""
    return lambda n: today - timedelta(days=28 - n)


class Keeper:
    """The site's nurses keeping its stock through the month of ``day``, and the perpetual
    inventory they expect."""

    def __init__(self, api: Api, site: str, day: Day) -> None:
        self.api = api
        self.site = site
        self.today = day(28)
        self.month: dict[str, Any] = {"from": str(day(0)), "to": str(self.today)}
        self.position = 0
        self.held: dict[str, Decimal] = {}

    async def send(
        self, query: str, user: str = NURSE, role: Role = Role.NURSE, **given: Any
    ) -> str:
        data = await self.api.ok(query, {"i": {"site": self.site, **given}}, role=role, user=user)
        [result] = data.values()
        self.position = max(self.position, result["position"])
        return str(result["id"])

    async def refused(self, query: str, role: Role, user: str, **given: Any) -> dict[str, Any]:
        body = await self.api.gql(query, {"i": {"site": self.site, **given}}, role=role, user=user)
        [error] = body["errors"]
        extensions: dict[str, Any] = error["extensions"]
        return {"message": error["message"], **extensions}

    async def receive(self, lot: str, quantity: int, when: str) -> None:
        await self.send(
            RECEIVE, lot=lot, medication="methadone", dosageForm="oral solution",
            quantity=str(quantity), containers=1, orderForm="DEA_222",
            orderFormNumber=f"222-{lot}", expiresOn=str(self.today + timedelta(days=300)),
            receivedAt=when, **SUPPLIER,
        )  # fmt: skip
        self.held[lot] = Decimal(quantity)

    async def count(
        self, occasion: str, when: str, short: Decimal = Decimal(0), **more: Any
    ) -> str:
        lines = [
            {"lot": lot, "counted": str(n - (short if lot == "M-1" else 0))}
            for lot, n in sorted(self.held.items())
            if n
        ]
        count_id = await self.send(
            COUNT, occasion=occasion, lines=lines, witnessId=SECOND_NURSE, countedAt=when, **more
        )
        await self.send(WITNESS, user=SECOND_NURSE, entryId=count_id)
        return count_id

    async def read(self, query: str, role: Role = Role.PROGRAM_ADMIN, **variables: Any) -> Any:
        data = await self.api.ok(
            query, {"site": self.site, "atLeast": self.position, **variables}, role=role
        )
        [result] = data.values()
        return result


async def test_a_month_of_dosing_reconciles_daily_and_a_short_count_raises_a_discrepancy(
    api: Api, day: Day
) -> None:
    site = f"Harbor OTP {uuid4().hex[:8]}"
    keeper = Keeper(api, site, day)
    clients = [await Clinic.enroll(api, name, program=site) for name in ("Alex R.", "Bea T.")]
    orders = []
    for clinic, dose in zip(clients, ("80", "60"), strict=True):
        ordered = await clinic.doctor(
            PRESCRIBE, medication="methadone", dose=dose, unit="mg", route="oral",
            start=str(day(0)), occurredAt=at(day(0), 6), acknowledgements=[INDUCTED],
        )  # fmt: skip
        orders.append((clinic, ordered["id"], Decimal(dose)))
    await keeper.receive("M-1", 10_000, at(day(0), 6))

    for n in range(29):
        if n == 14:
            await keeper.receive("M-2", 5_000, at(day(n), 6))
        await keeper.count("OPENING", at(day(n), 7))
        lot = "M-1" if n < 20 else "M-2"
        for clinic, order, amount in orders:
            await clinic.nurse(
                mutation("AdministerDoseInput", "administerDose"), orderId=order,
                amount=str(amount), dosageForm="oral solution", givenAt=at(day(n), 9), lot=lot,
            )  # fmt: skip
            keeper.held[lot] -= amount
        if n == 10:
            spill = await keeper.send(
                WASTE, lot="M-1", quantity="15", reason="SPILL", witnessId=SECOND_NURSE,
                description="cup knocked over at the window", occurredAt=at(day(n), 12),
            )  # fmt: skip
            await keeper.send(WITNESS, user=SECOND_NURSE, entryId=spill)
            keeper.held["M-1"] -= 15
        if n == 20:
            await keeper.count("CLOSING", at(day(n), 17), short=Decimal(10))
            await a_discrepancy_is_raised_visible_and_resolved_as_a_loss(keeper)
            keeper.held["M-1"] -= 10
        else:
            await keeper.count("CLOSING", at(day(n), 17), biennial=n == 28)

    discrepancies = await keeper.read(DISCREPANCIES, open=False)
    assert len(discrepancies) == 1, "every other count reconciled"
    assert discrepancies[0]["resolution"] == "loss_reported: DEA Form 106 filed"

    stock = await keeper.read(ON_HAND)
    lots = {lot["lot"]: lot for lot in stock["lots"]}
    assert lots["M-1"] | {"lastCounted": None} == {
        "lot": "M-1", "medication": "methadone", "strength": "10 mg/mL", "received": "10000",
        "wasted": "15", "lost": "10", "dispensed": "2800", "onHand": "7175", "lastCounted": None,
    }  # fmt: skip
    assert (lots["M-2"]["dispensed"], lots["M-2"]["onHand"]) == ("1260", "3740")
    assert stock["byMedication"] == [
        {"medication": "methadone", "dosageForm": "oral solution", "onHand": "10915"}
    ]

    counts = await keeper.read(COUNTS, **keeper.month)
    assert len(counts) == 58
    assert all(c["witnessId"] == SECOND_NURSE and c["witnessedAt"] for c in counts)
    assert {c["countedBy"] for c in counts} == {NURSE}
    off = [line for c in counts for line in c["lines"] if Decimal(line["variance"])]
    assert off == [{"lot": "M-1", "counted": "7175", "expected": "7185", "variance": "-10"}]

    await inspectors_export_the_record_and_the_biennial_inventory(keeper)
    await only_the_stocks_keepers_record_and_read_it(keeper)


async def a_discrepancy_is_raised_visible_and_resolved_as_a_loss(keeper: Keeper) -> None:
    [found] = await keeper.read(DISCREPANCIES, role=Role.NURSE, open=True)
    assert (found["lot"], found["variance"], found["severity"]) == ("M-1", "-10", "HIGH")
    assert (found["counted"], found["expected"]) == ("7175", "7185")
    assert (found["countedBy"], found["resolution"]) == (NURSE, None)
    nurse = await keeper.refused(
        RESOLVE, Role.NURSE, NURSE, alertId=found["alertId"], resolution="EXPLAINED",
        note="recount",
    )  # fmt: skip
    assert (nurse["code"], nurse["rule"]) == ("FORBIDDEN", "role-may-record")
    await keeper.send(
        RESOLVE, user=DOCTOR, role=Role.PRESCRIBER, alertId=found["alertId"],
        resolution="LOSS_REPORTED", note="DEA Form 106 filed",
    )  # fmt: skip
    assert await keeper.read(DISCREPANCIES, open=True) == []


async def inspectors_export_the_record_and_the_biennial_inventory(keeper: Keeper) -> None:
    ledger = await keeper.read(LEDGER, role=Role.AUDITOR, **keeper.month)
    kinds = [row["kind"] for row in ledger["rows"]]
    assert (kinds.count("receipt"), kinds.count("dose"), kinds.count("waste")) == (2, 58, 1)
    # A count has a row per lot: M-1 alone for 14 days, then M-1 and M-2 for 15.
    assert (kinds.count("count"), kinds.count("witnessed")) == (14 * 2 + 15 * 2 * 2, 58 + 1)
    assert (kinds.count("discrepancy"), kinds.count("resolved")) == (1, 1)
    rows = list(csv.DictReader(io.StringIO(ledger["csv"])))
    receipt = next(r for r in rows if r["kind"] == "receipt")
    assert receipt["detail"].startswith("dea_222 222-M-1; 1 containers from Mallinckrodt")
    assert receipt["dea_schedule"] == "CII"
    spill = next(r for r in rows if r["kind"] == "waste")
    assert (spill["change"], spill["witness_id"]) == ("-15", SECOND_NURSE)

    inventory = await keeper.read(BIENNIAL, role=Role.AUDITOR, **keeper.month)
    [biennial] = inventory["counts"]
    assert biennial["occasion"] == "closing, biennial inventory"
    assert {line["lot"]: line["counted"] for line in biennial["lines"]} == {
        "M-1": "7175", "M-2": "3740",
    }  # fmt: skip
    lines = list(csv.DictReader(io.StringIO(inventory["csv"])))
    assert [(r["lot"], r["strength"], r["counted"], r["unit"]) for r in lines] == [
        ("M-1", "10 mg/mL", "7175", "mg"),
        ("M-2", "10 mg/mL", "3740", "mg"),
    ]
    assert {r["site"] for r in lines} == {keeper.site}


async def only_the_stocks_keepers_record_and_read_it(keeper: Keeper) -> None:
    now = datetime.now(UTC).isoformat()
    therapist = await keeper.refused(
        COUNT, Role.THERAPIST, "th-ray", occasion="SPOT", witnessId=SECOND_NURSE,
        lines=[{"lot": "M-1", "counted": "1"}], countedAt=now,
    )  # fmt: skip
    assert (therapist["code"], therapist["rule"]) == ("FORBIDDEN", "role-may-record")
    peer = await keeper.api.gql(ON_HAND, {"site": keeper.site}, role=Role.PEER_SUPPORTER)
    assert peer["errors"][0]["extensions"]["rule"] == "role-may-export"
    alone = await keeper.refused(
        COUNT, Role.NURSE, NURSE, occasion="SPOT", witnessId=NURSE,
        lines=[{"lot": "M-1", "counted": "7175"}],
    )  # fmt: skip
    assert (alone["field"], alone["rule"]) == ("witnessId", "witness-distinct")
    other_admin = issue_token(
        keeper.api.platform.settings, "admin-x", Role.PROGRAM_ADMIN, program="Elsewhere OTP"
    )
    elsewhere = await keeper.api.gql(ON_HAND, {"site": keeper.site}, token=other_admin)
    assert elsewhere["errors"][0]["extensions"]["rule"] == "admin-program"
    empty = await keeper.api.gql(
        RECEIVE,
        {"i": {"site": keeper.site, "lot": "M-3", "medication": "methadone",
               "dosageForm": "oral solution", "quantity": "NaN", "containers": 1,
               "orderForm": "DEA_222", "orderFormNumber": "222-9", **SUPPLIER}},
        role=Role.NURSE,
    )  # fmt: skip
    # Refused by the schema's Decimal (not a number written with digits), naming the field.
    assert "quantity" in empty["errors"][0]["message"]
    assert empty["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
