"""The medication views through the API: a client's medications and dosing, and the
program's DEA dispensing log and lot ledger (JSON rows, or CSV for export).

Client views go through the access policy (``RequestContext.readable``) and are logged,
refused ones too. The DEA log and the lot ledger are for the roles that keep them (the
program's admin, and auditors who inspect them) and for prescribers and nurses limited to
their care team's clients (``services/medication/exports.py``); one access-log entry per
client whose rows they return.
A client reading their own record never sees the doses of a blind taper. An order past
its end date reads as ended, and a finding as resolved once an order it implicates has
ended or the exposure it counted has cleared its washout (the program's day decides).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events import Kind, Role
from carecoord.events.medication import Dispensing, Severity
from carecoord.graphql import (
    log_pages,
    medication_inputs,  # noqa: F401  (registers the GraphQL `Dispensing` enum)
    medication_safety,
)
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.graphql.day_ranges import MAX_DAYS, bounded, last_days
from carecoord.graphql.declared import into, listing_query
from carecoord.graphql.listed import listed_page
from carecoord.graphql.log_pages import (
    PAGE_CSV,
    WHOLE_OR_PAGED,
    After,
    First,
    LogOrder,
)
from carecoord.graphql.medication_safety import cells
from carecoord.graphql.page_info import PageInfo
from carecoord.graphql.seqs import Seq
from carecoord.graphql.whole_ranges import given, whole
from carecoord.graphql.withheld import TextShown, without
from carecoord.projections import dispensing_log as dea_log
from carecoord.projections import dosing, inventory, medications, timeline
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.policy import Grant, Listing, writer_sees
from carecoord.services.medication.exports import to_csv


@strawberry.type
class HistoryEntry:
    position: Seq
    type: str
    occurred_at: datetime
    recorded_by: str
    summary: str
    withheld: list[str] = strawberry.field(
        description="`reason` where the reason its summary ends with is withheld from you"
        " (left out of `summary`): its writer reads more of the record than you do"
        " (docs/access.md)."
    )


@strawberry.type
class Hold:
    since: datetime
    by: str
    reason: str | None = strawberry.field(
        description="Null where withheld: its writer reads more of the record than you do."
    )
    rule: str
    withheld: list[str] = strawberry.field(
        description="`reason` where it is withheld from you: its writer reads more of the"
        " record than you do (docs/access.md)."
    )


@strawberry.type
class DoseStep:
    start: date
    dose: Decimal | None


@strawberry.type(description="A medication order (FHIR MedicationRequest).")
class MedicationOrder:
    id: UUID
    medication: str
    status: str = strawberry.field(
        description="active, on-hold, ended (past its end date), replaced, stopped or"
        " entered-in-error."
    )
    dose: Decimal | None = strawberry.field(description="Null for the client on a blind taper.")
    unit: str
    route: str
    times_per_day: int
    every_days: int
    start: date
    end: date | None
    dispensing: Dispensing
    indication: str
    prior_order_id: UUID | None
    replaced_by: UUID | None
    blind: bool
    steps: list[DoseStep]
    hold: Hold | None
    stopped_reason: str | None = strawberry.field(
        description="Why it was stopped or entered in error; null where withheld (`withheld`)."
    )
    withheld: list[str] = strawberry.field(
        description="`stoppedReason` where it is withheld from you: its writer reads more of"
        " the record than you do (docs/access.md)."
    )
    history: list[HistoryEntry]


@strawberry.type(description="A medication taken from elsewhere (FHIR MedicationStatement).")
class MedicationStatement:
    id: UUID
    medication: str
    status: str = strawberry.field(description="active, stopped or entered-in-error.")
    dose: Decimal | None
    unit: str
    source: str
    source_detail: str
    since: date | None
    history: list[HistoryEntry]


@strawberry.type(description="An interaction finding (FHIR DetectedIssue).")
class InteractionFinding:
    id: UUID
    rule: str
    rule_version: str
    severity: Severity
    status: str = strawberry.field(
        description="open; resolved once a medication stopped or ended, or the exposure the"
        " rule counted cleared its washout."
    )
    title: str
    source: str
    implicated: list[UUID]
    acknowledged_reason: str | None = strawberry.field(
        description="The prescriber's reason for going past it; null where withheld (`withheld`)."
    )
    withheld: list[str] = strawberry.field(
        description="`acknowledgedReason` where it is withheld from you: its writer reads more"
        " of the record than you do (docs/access.md)."
    )
    recorded_at: datetime
    exposure_clear_from: date | None = strawberry.field(
        default=None,
        description="The day the exposure the rule counted clears its washout; null while"
        " the other medication is taken.",
    )


@strawberry.type
class MedicationView:
    orders: list[MedicationOrder]
    statements: list[MedicationStatement]
    findings: list[InteractionFinding]


@strawberry.type
class DosingEntry:
    day: date
    slot: int
    status: str = strawberry.field(
        description="given, replacement, take-home, not-given, missed, hold-placed, hold-lifted,"
        " back-in-force (the order is dosed again from `day`: the order that replaced it was"
        " entered in error), entered-in-error (the mark of the dose `doseId` names; `detail`"
        " says why), take-home-in-error (the mark, beside each of its bottles, of the"
        " take-home `dispenseId` names; `detail` says why), take-home-returned (beside a"
        " bottle of the take-home `dispenseId` names, brought back and destroyed: `amount`"
        " was left in it; `detail` names the bottle, its lot and the witness; `witnessed`"
        " says whether the witness confirmed it), take-home-return-witnessed (beside it: the"
        " witness confirmed the return under their own login, `witnessTakeHomeReturn`),"
        " not-given-in-error (the mark of the dose not given `entryId` names; `detail` says"
        " why)."
    )
    medication: str
    order_id: UUID
    amount: Decimal | None
    unit: str
    detail: str | None = strawberry.field(
        description="Null where withheld (`withheld`): a reason its writer reads more of the"
        " record than you do wrote."
    )
    withheld: list[str] = strawberry.field(
        description="`detail` where it is withheld from you: a replacement's, a mark's, a"
        " hold's or a reinstatement's reason, written by a writer who reads more of the"
        " record than you do (docs/access.md)."
    )
    occurred_at: datetime
    recorded_by: str
    dose_id: UUID | None = strawberry.field(
        default=None,
        description="The dose a `given` or `replacement` entry records, or an"
        " `entered-in-error` entry marks (what `markDoseEnteredInError` takes).",
    )
    entered_in_error: bool = strawberry.field(
        default=False,
        description="A dose, take-home or dose not given marked entered in error since: it"
        " did not happen and counts nowhere.",
    )
    dispense_id: UUID | None = strawberry.field(
        default=None,
        description="The take-home a `take-home` entry's bottle is from, or a"
        " `take-home-in-error` entry marks (what `markTakeHomeEnteredInError` takes).",
    )
    entry_id: UUID | None = strawberry.field(
        default=None,
        description="The dose not given a `not-given` entry records, or a `not-given-in-error`"
        " entry marks (what `markDoseNotGivenEnteredInError` takes); null on a `not-given`"
        " entry projected before entries had ids, until the dosing view is rebuilt.",
    )
    explained: bool = strawberry.field(
        default=False,
        description="A `missed` entry whose day a dose not given, or a dose given, was recorded"
        " for since, under the same order (charted after the missed-dose sweep had found the"
        " day): the day counts once, as not given or given, not as missed.",
    )
    after_stop: bool = strawberry.field(
        default=False,
        description="A `take-home` entry's bottle for a day after its order was discontinued:"
        " no dose of an order in force, but a bottle the client holds, to be recalled"
        " (alert `take-home-recall`, docs/episodes.md); not counted in `takeHomeDoses`.",
    )
    returned: bool = strawberry.field(
        default=False,
        description="A `take-home` entry's bottle brought back since (`returnTakeHome`; its"
        " `take-home-returned` entry says what was left in it): no longer out, not counted in"
        " `takeHomeDoses`.",
    )
    witnessed: bool = strawberry.field(
        default=False,
        description="A `take-home-returned` entry whose witness confirmed the return under"
        " their own login (`witnessTakeHomeReturn`); false: named by the nurse who recorded"
        " it, not yet confirmed.",
    )


@strawberry.type
class DosingView:
    on: date
    first_dose_day: date | None = strawberry.field(
        description="The first observed dose of the episode in progress on `on`: since the"
        " readmission that began it, as the take-home schedule counts."
    )
    days_in_treatment: int = strawberry.field(description="Day 1 is `firstDoseDay`.")
    take_home_supply_days: int = strawberry.field(description="Days covered from `on` onward.")
    given: int
    missed: int
    not_given: int
    take_home_doses: int
    entries: list[DosingEntry]


@strawberry.type(description="One line of the DEA dispensing log (21 CFR 1304.24).")
class DispensingLogRow:
    dispensed_on: date
    client_id: UUID
    substance: str
    strength: str
    dosage_form: str
    dea_schedule: str
    amount_consumed: Decimal | None
    amount_taken_home: Decimal | None
    amount_returned: Decimal | None = strawberry.field(
        description="What was left in a take-home bottle the client brought back, counted"
        " and destroyed on site before `witness` (0: it came back empty)."
    )
    take_home_form: str | None
    unit: str
    dispenser: str
    witness: str = strawberry.field(
        description="The staff member who witnessed a return's count and destruction;"
        " empty on other lines."
    )
    witnessed_at: datetime | None = strawberry.field(
        description="When `witness` confirmed the return under their own login"
        " (`witnessTakeHomeReturn`); null on a return's line: named by the recorder, not yet"
        " confirmed (null on other lines)."
    )
    lots: str
    note: str = strawberry.field(
        description="What else the line is: a replacement (and why), a correction (of what,"
        " and why), a take-home's bottles and days, a bottle returned (which, of which"
        " take-home and day, untouched, in part or empty). Without the clinician's reason for a"
        " reader whose role reads no client's doses (a program admin; `withheld`)."
    )
    withheld: list[str] = strawberry.field(
        description="`reason` where `note` reads without the clinician's reason about the"
        " client's dose: your role reads no client's doses (docs/access.md)."
    )


@strawberry.type
class DispensingLog:
    rows: list[DispensingLogRow]
    csv: str = strawberry.field(description=PAGE_CSV)
    page_info: PageInfo


@strawberry.type
class LotEntry:
    bottle: str
    kind: str
    amount: Decimal
    unit: str
    client_id: UUID
    day: date
    recorded_by: str


@strawberry.type(description="What left stock from one lot.")
class Lot:
    lot: str
    medication: str
    strength: str
    dispensed: Decimal = strawberry.field(
        description="The sum of entries: read a page at a time, of this page's (the lot may"
        " go on in the next)."
    )
    unit: str
    entries: list[LotEntry]


@strawberry.type
class InventoryLedger:
    lots: list[Lot]
    csv: str = strawberry.field(description=PAGE_CSV)
    page_info: PageInfo


def history(row: medications.Medication) -> list[HistoryEntry]:
    return [
        into(
            HistoryEntry,
            h,
            occurred_at=datetime.fromisoformat(h["occurredAt"]),
            recorded_by=h["recordedBy"],
            withheld=h.get("withheld", []),
        )
        for h in row["history"]
    ]


def text_shown(row: medications.Medication, text: TextShown) -> medications.Medication:
    """``row`` with the reasons ``text`` does not show its reader withheld, as the timeline
    withholds them (``graphql/withheld.py``): a hold's, an order's for stopping, a finding's
    acknowledgement, and each history step's, its summary read without it (``untold``). Each
    names what it withheld in its ``withheld``."""
    d = row["details"]
    hold = d.get("hold")
    if hold:
        gone = text.withheld(["reason"], hold["role"], hold["by"])
        d["hold"] = {**without(hold, gone), "withheld": gone}
    if "stopped_by" in d and not text.shows(d["stopped_role"], d["stopped_by"]):
        d["stopped_reason"], d["withheld"] = None, ["stoppedReason"]
    found = row["history"][0]  # a finding's reason is its prescriber's, who found it
    if d.get("acknowledged_reason") and not text.shows(found["role"], found["recordedBy"]):
        d["acknowledged_reason"], d["withheld"] = None, ["acknowledgedReason"]
    row["history"] = [_step_shown(step, text) for step in row["history"]]
    return row


def _step_shown(step: dict[str, Any], text: TextShown) -> dict[str, Any]:
    told = "untold" in step  # a line ending with its writer's reason
    gone = text.withheld(["reason"], step["role"], step["recordedBy"]) if told else []
    return {**step, "summary": step["untold"], "withheld": gone} if gone else step


class ShownDose(dosing.Dose):
    """A dosing row and what of it its reader is not shown (``withheld``)."""

    withheld: list[str]


def dose_shown(row: dosing.Dose, text: TextShown) -> ShownDose:
    """``row`` with its ``detail`` withheld where it tells a reason (``dosing.TOLD``) that
    ``text`` does not show its reader, as the timeline withholds one."""
    told = row["status"] in dosing.TOLD
    gone = text.withheld(["detail"], row["actor_role"], row["actor_id"]) if told else []
    return ShownDose(**row, withheld=gone)


async def shown_doses(rows: Awaitable[list[dosing.Dose]], text: TextShown) -> list[ShownDose]:
    """The ``rows`` as ``text`` shows them (``dose_shown``): whose text shows is decided
    once for them all."""
    return [dose_shown(r, text) for r in await rows]


def order_status(row: medications.Medication, today: date) -> str:
    """An order in force past its end date has ended, whatever the view last recorded."""
    end = row["details"].get("end")
    if row["status"] in ("active", "on-hold") and end and date.fromisoformat(end) < today:
        return "ended"
    return str(row["status"])


def finding_status(row: medications.Medication, ended: set[UUID], today: date) -> str:
    if row["status"] != "open":
        return str(row["status"])
    d = row["details"]
    if any(UUID(i["id"]) in ended for i in d["implicated"]):
        return "resolved"
    clear = (d.get("exposure") or {}).get("clear_from")
    if clear and date.fromisoformat(clear) <= today:
        return "resolved"
    return "open"


def order_of(row: medications.Medication, *, hide_doses: bool) -> MedicationOrder:
    d = row["details"]
    hidden = hide_doses and bool(d.get("blind"))
    hold = d.get("hold")
    return MedicationOrder(
        id=row["id"],
        medication=row["medication"],
        status=row["status"],
        dose=None if hidden else Decimal(d["dose"]),
        unit=d["unit"],
        route=d["route"],
        times_per_day=d["schedule"]["times_per_day"],
        every_days=d["schedule"]["every_days"],
        start=date.fromisoformat(d["start"]),
        end=date.fromisoformat(d["end"]) if d.get("end") else None,
        dispensing=Dispensing(d["dispensing"]),
        indication=d.get("indication", ""),
        prior_order_id=d.get("prior_order_id"),
        replaced_by=d.get("replaced_by"),
        blind=bool(d.get("blind")),
        steps=[
            DoseStep(
                start=date.fromisoformat(s["start"]), dose=None if hidden else Decimal(s["dose"])
            )
            for s in d.get("steps", [])
        ],
        hold=Hold(
            since=datetime.fromisoformat(hold["since"]),
            by=hold["by"],
            reason=hold["reason"],
            rule=hold["rule_id"],
            withheld=hold["withheld"],
        )
        if hold
        else None,
        stopped_reason=d.get("stopped_reason"),
        withheld=d.get("withheld", []),
        history=history(row),
    )


def statement_of(row: medications.Medication) -> MedicationStatement:
    d = row["details"]
    return into(
        MedicationStatement,
        row,
        dose=Decimal(d["dose"]) if d.get("dose") else None,
        unit=d["unit"],
        source=d["source"],
        source_detail=d["source_detail"],
        since=date.fromisoformat(d["since"]) if d.get("since") else None,
        history=history(row),
    )


def finding_of(row: medications.Medication) -> InteractionFinding:
    d = row["details"]
    clear = (d.get("exposure") or {}).get("clear_from")
    return InteractionFinding(
        exposure_clear_from=date.fromisoformat(clear) if clear else None,
        id=row["id"],
        rule=d["rule_id"],
        rule_version=d["rule_version"],
        severity=Severity(d["severity"]),
        status=row["status"],
        title=d["title"],
        source=d["source"],
        implicated=[UUID(i["id"]) for i in d["implicated"]],
        acknowledged_reason=d["acknowledged_reason"],
        withheld=d.get("withheld", []),
        recorded_at=datetime.fromisoformat(row["history"][0]["occurredAt"]),
    )


CURRENT = ("active", "on-hold", "open")


def at_most_steps(
    rows: list[medications.Medication], include_history: bool
) -> list[medications.Medication]:
    """``rows``, refused past ``MAX_ROWS`` entries and history steps together: each dose
    change is an order of its own and each hold a step of one, so years of a client's
    orders, stopped ones included, hold more than one response should. A longer history
    is read a page or a period at a time from the timeline or the record's export. Counted
    as the view holds them, read no further than the bound (``medications.of_client``): an
    order in force past its end date counts toward the current list it then leaves."""
    most = log_pages.MAX_ROWS
    if len(rows) + sum(len(r["history"]) for r in rows) > most:
        raise InvalidInput(
            "includeHistory" if include_history else "clientId",
            "rows-at-most",
            f"the medication list holds more than {most} entries and history steps, the most"
            " one read answers: read the history a page at a time from clientTimeline, or a"
            " period at a time from exportClientRecord",
        )
    return rows


GIVEN = ("given", "replacement")
"""The dosing entries of a dose given at the window, which may be marked in error."""
DOSE_ENTRIES = (*GIVEN, dosing.IN_ERROR)
"""The dosing entries that name a dose given at the window."""
TAKE_HOME = "take-home"
"""The dosing entry of a take-home bottle, whose take-home may be marked in error."""
TAKE_HOME_ENTRIES = (TAKE_HOME, dosing.TAKE_HOME_IN_ERROR, dosing.RETURNED, dosing.WITNESSED)
"""The dosing entries that name a take-home."""
NOT_GIVEN_ENTRIES = (dosing.NOT_GIVEN, dosing.NOT_GIVEN_IN_ERROR)
"""The dosing entries that name a dose not given."""
MARKABLE = (*GIVEN, TAKE_HOME, dosing.NOT_GIVEN)
"""The dosing entries of what may be marked in error: a dose, a take-home's bottle, a dose
not given."""
UNDESCRIBED_AT_LEAST = inspect.Parameter(
    "at_least", inspect.Parameter.KEYWORD_ONLY, annotation=Seq | None, default=None
)
"""``inventoryLedger``'s ``atLeast``, which has gone without a description (kept so)."""


LOT_LEDGER_ORDER = LogOrder("inventoryLedger", inventory.ORDER, (str, *log_pages.PLACE))


async def lots_dispensed(
    ctx: RequestContext,
    lot: str | None = None,
    from_day: date | None = None,
    to_day: date | None = None,
    first: First = None,
    after: After = None,
) -> InventoryLedger:
    zone = ctx.platform.medication.zone
    to_day = to_day or datetime.now(zone).date()
    from_day = from_day or last_days(to_day)
    bounded(from_day, to_day)
    found, page_info = await listed_page(
        ctx,
        LOT_LEDGER_ORDER,
        first,
        after,
        lambda clients, place, limit: inventory.ledger(
            ctx.platform.reads,
            lot,
            str(zone),
            from_day,
            to_day,
            clients=clients,
            after=place,
            limit=limit,
        ),
        operation="inventoryLedger",
        listing=Listing.LOT_LEDGER,
        kind=Kind.DOSING,
    )
    lots: dict[str, Lot] = {}
    for r in found:
        entry = lots.setdefault(r["lot_key"], into(Lot, r, dispensed=Decimal(0), entries=[]))
        entry.dispensed += r["amount"]
        entry.entries.append(into(LotEntry, r, recorded_by=r["actor_id"]))
    columns = [c for c in inventory.SHOWN if c != "occurred_at"]
    return InventoryLedger(
        lots=list(lots.values()),
        csv=to_csv(columns, (cells(r, columns) for r in found)),
        page_info=page_info,
    )


DEA_LOG_ORDER = LogOrder("dispensingLog", dea_log.ORDER, (date.fromisoformat, *log_pages.PLACE))


async def dispensed(
    ctx: RequestContext,
    from_day: date,
    to_day: date,
    controlled_only: bool = True,
    first: First = None,
    after: After = None,
) -> DispensingLog:
    bounded(from_day, to_day)
    found, page_info = await listed_page(
        ctx,
        DEA_LOG_ORDER,
        first,
        after,
        lambda clients, place, limit: dea_log.between_days(
            ctx.platform.reads,
            from_day,
            to_day,
            controlled_only=controlled_only,
            clients=clients,
            after=place,
            limit=limit,
        ),
        operation="dispensingLog",
        listing=Listing.DISPENSING_LOG,
        kind=Kind.DOSING,
    )
    shown = [reason_shown(r, ctx.reader().role) for r in found]
    fields = [f for f in dea_log.COLUMNS if f not in ("dispensed_at", "ref_id")]
    return DispensingLog(
        rows=[into(DispensingLogRow, r) for r in shown],
        csv=to_csv(fields, (cells(r, fields) for r in shown)),
        page_info=page_info,
    )


CORRECTION = "entered in error: "
"""How a correction's note begins: what it corrects, then ``: `` and the clinician's reason."""
REPLACEMENT = "replaces "
"""How a replacement dose's note begins: the dose it replaces, then ``: `` and the reason."""


def reason_shown(r: dea_log.Dispensed, reader: Role) -> dict[str, Any]:
    """``r`` with ``withheld``, and its note without the clinician's reason about the
    client's dose for a reader whose role reads no client's doses (a program admin), as the
    stock ledger (``stock_views.reasons_shown``) and clientDosing withhold it from them."""
    note: str = r["note"]
    if Kind.DOSING in writer_sees(reader) or not note.startswith((CORRECTION, REPLACEMENT)):
        return {**r, "withheld": []}
    told = note.removeprefix(CORRECTION) if note.startswith(CORRECTION) else note
    cut = note[: len(note) - len(told)] + told.partition(": ")[0]
    return {**r, "note": cut, "withheld": ["reason"]}


@strawberry.type
class MedicationQuery:
    @strawberry.field(
        description="A client's medication list, statements and open findings, each with its"
        f" history: at most {log_pages.MAX_ROWS} entries and history steps together, refused"
        " past that."
    )
    async def client_medications(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        include_history: bool = False,
        at_least: AtLeast = None,
    ) -> MedicationView:
        ctx = info.context

        async def shown(grant: Grant) -> list[medications.Medication]:
            today = datetime.now(ctx.platform.medication.zone).date()
            text = TextShown.of(grant, ctx.reader().id)
            found = await medications.of_client(
                ctx.platform.reads,
                client_id,
                None if include_history else CURRENT,
                log_pages.MAX_ROWS,
            )
            rows = [text_shown(r, text) for r in at_most_steps(found, include_history)]
            ended: set[UUID] = set()
            for r in rows:
                if r["entry"] == "order":
                    r["status"] = order_status(r, today)
                    if r["status"] == "ended":
                        ended.add(r["id"])
            for r in rows:
                if r["entry"] == "finding":
                    r["status"] = finding_status(r, ended, today)
            return [r for r in rows if include_history or r["status"] in CURRENT]

        found = await ctx.client_rows(
            client_id,
            "clientMedications",
            medications.NAME,
            at_least,
            shown,
            needs=Kind.MEDICATION,
        )
        hide = ctx.reader().role is Role.CLIENT
        return MedicationView(
            orders=[order_of(r, hide_doses=hide) for r in found if r["entry"] == "order"],
            statements=[statement_of(r) for r in found if r["entry"] == "statement"],
            findings=[finding_of(r) for r in found if r["entry"] == "finding"],
        )

    @strawberry.field(
        description="A client's doses given, missed, held and taken home on a range of days"
        " (fromDay and toDay; one left out runs to the client's first or last entry), whole:"
        f" at most {MAX_DAYS} days and {log_pages.MAX_ROWS} entries, refused past either."
    )
    async def client_dosing(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        on: date | None = None,
        from_day: date | None = None,
        to_day: date | None = None,
        at_least: AtLeast = None,
    ) -> DosingView:
        ctx = info.context
        given(from_day, to_day)
        if ctx.reader().role is Role.CLIENT:
            # What a blind taper hides from the client rests on the medications view too.
            ctx.platform.progress.require_current(medications.NAME)
        found = await ctx.client_rows(
            client_id,
            "clientDosing",
            dosing.NAME,
            at_least,
            lambda grant: shown_doses(
                whole(
                    from_day,
                    to_day,
                    lambda limit: dosing.of_client(
                        ctx.platform.reads, client_id, from_day, to_day, limit
                    ),
                ),
                TextShown.of(grant, ctx.reader().id),
            ),
            needs=Kind.DOSING,
            # Its totals (first dose day, take-home supply) show dosing whatever the range holds.
            kinds=lambda _: [Kind.DOSING],
        )
        zone = ctx.platform.medication.zone
        today = on or datetime.now(zone).date()
        await ctx.caught_up(timeline.NAME, at_least)
        since = await timeline.readmitted_by(ctx.platform.reads, client_id, today, str(zone))
        summary = await dosing.treatment(ctx.platform.reads, client_id, today, since)
        blind: set[UUID] = set()
        if ctx.reader().role is Role.CLIENT:
            blind = await medications.blind_orders(ctx.platform.reads, client_id)
        first = summary["first_dose"]
        stop_days: dict[UUID, date] = {}
        if any(r["status"] == TAKE_HOME for r in found):
            # The orders' stops, from the medications view, only when a bottle is among the
            # entries: doses alone are answered while another version rebuilds that view.
            await ctx.caught_up(medications.NAME, at_least)
            stops = await medications.stopped_at(ctx.platform.reads, client_id)
            stop_days = {o: ctx.platform.medication.day_of(at) for o, at in stops.items()}
        after_stop = [
            r["status"] == TAKE_HOME
            and r["order_id"] in stop_days
            and r["day"] > stop_days[r["order_id"]]
            for r in found
        ]
        in_error = {r["ref_id"] for r in found if r["status"] in dosing.MARKS}
        back = {(r["ref_id"], r["day"], r["slot"]) for r in found if r["status"] == dosing.RETURNED}
        returned = [
            r["status"] == TAKE_HOME and (r["ref_id"], r["day"], r["slot"]) in back for r in found
        ]
        confirmed = {
            (r["ref_id"], r["day"], r["slot"]) for r in found if r["status"] == dosing.WITNESSED
        }
        not_given = {
            (r["order_id"], r["day"])
            for r in found
            if r["status"] in (dosing.NOT_GIVEN, dosing.GIVEN) and r["ref_id"] not in in_error
        }
        explained = [
            r["status"] == dosing.MISSED and (r["order_id"], r["day"]) in not_given for r in found
        ]
        statuses = [
            r["status"]
            for r, late in zip(found, explained, strict=True)
            if r["ref_id"] not in in_error and not late
        ]
        return DosingView(
            on=today,
            first_dose_day=first,
            days_in_treatment=max((today - first).days + 1, 0) if first else 0,
            take_home_supply_days=summary["supply"],
            given=statuses.count("given"),
            missed=statuses.count("missed"),
            not_given=statuses.count("not-given"),
            take_home_doses=sum(
                r["status"] == TAKE_HOME and r["ref_id"] not in in_error and not (stopped or back)
                for r, stopped, back in zip(found, after_stop, returned, strict=True)
            ),
            entries=[
                into(
                    DosingEntry,
                    r,
                    amount=None if r["order_id"] in blind else r["amount"],
                    detail=None if r["withheld"] else r["detail"],
                    recorded_by=r["actor_id"],
                    dose_id=r["ref_id"] if r["status"] in DOSE_ENTRIES else None,
                    entered_in_error=r["status"] in MARKABLE and r["ref_id"] in in_error,
                    dispense_id=r["ref_id"] if r["status"] in TAKE_HOME_ENTRIES else None,
                    entry_id=r["ref_id"] if r["status"] in NOT_GIVEN_ENTRIES else None,
                    explained=late,
                    after_stop=stopped,
                    returned=back,
                    witnessed=r["status"] == dosing.RETURNED
                    and (r["ref_id"], r["day"], r["slot"]) in confirmed,
                )
                for r, late, stopped, back in zip(
                    found, explained, after_stop, returned, strict=True
                )
            ],
        )

    client_safety_events = medication_safety.client_events

    medication_safety_log = medication_safety.program_log
    dispensing_log = listing_query(
        "The DEA dispensing log (21 CFR 1304.24) for a range of days, at most 366,"
        f" {WHOLE_OR_PAGED}",
        Listing.DISPENSING_LOG,
        dispensed,
        dea_log.NAME,
    )

    inventory_ledger = listing_query(
        "The per-lot ledger of what was dispensed on a range of days, at most 366: by default"
        f" the 366 ending today (the program's day), or ending on toDay; {WHOLE_OR_PAGED}",
        Listing.LOT_LEDGER,
        lots_dispensed,
        inventory.NAME,
        waits=UNDESCRIBED_AT_LEAST,
    )
