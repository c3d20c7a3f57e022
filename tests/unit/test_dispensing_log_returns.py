"""The DEA dispensing log shows take-home bottles brought back and destroyed: before, the
log showed the bottles handed over and never that any came back, so an inspector could not
account for the doses a return destroyed on site."""

from __future__ import annotations

from decimal import Decimal

from test_take_home_recall_commands import NURSE, at
from test_take_home_returns import JAN2, JAN3, JAN4, WITNESS, Returns

from carecoord.events.medication import TakeHomeDispensed, TakeHomeReturned
from carecoord.events.positioned import Positioned
from carecoord.projections import dispensing_log


def lines(event: object) -> list[dict[str, object]]:
    made = dispensing_log.rows(Positioned(1, event))  # type: ignore[arg-type]
    return [dict(zip(dispensing_log.COLUMNS, row, strict=True)) for row in made]


def test_each_bottle_returned_is_a_line_of_what_was_left_the_lot_and_the_witness() -> None:
    clinic = Returns()
    clinic.stop()
    clinic.now = at(JAN2, 16)
    clinic.back(JAN3, amount=Decimal(1))
    clinic.back(JAN4, amount=Decimal(0))
    clinic.back(JAN2)

    [handed] = clinic.of(TakeHomeDispensed)
    [handed_over] = lines(handed)
    assert (handed_over["amount_taken_home"], handed_over["witness"]) == (Decimal(24), "")
    back = [line for e in clinic.of(TakeHomeReturned) for line in lines(e)]
    assert [(b["dispensed_on"], b["amount_returned"], b["lots"]) for b in back] == [
        (JAN2, Decimal(1), "LOT-1"), (JAN2, Decimal(0), "LOT-1"), (JAN2, Decimal(8), "LOT-1"),
    ]  # fmt: skip
    first = back[0]
    assert (first["amount_consumed"], first["amount_taken_home"]) == (None, None)
    assert (first["dispenser"], first["witness"]) == (NURSE.id, WITNESS)
    assert (first["substance"], first["unit"]) == (handed.medication, handed.unit)
    assert [b["note"] for b in back] == [
        f"returned {state} and destroyed: bottle {bottle} of take-home {handed.dispense_id}"
        f" for {day} slot 1"
        for state, bottle, day in (("in part", "B1", JAN3), ("empty", "B2", JAN4),
                                   ("untouched", "B0", JAN2))
    ]  # fmt: skip
