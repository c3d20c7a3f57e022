"""A mutation's input is held to the catalog's bounds before its resolver reads it, each
refusal naming the first value out of bounds by its path in the input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from carecoord.graphql.input_bounds import BoundedArguments, _fields
from carecoord.graphql.medication_inputs import BottleInput, TakeHomeInput
from carecoord.services.kernel.errors import InvalidInput

WRITES = BoundedArguments(dates=True, reads=False)


def take_home(*bottles: BottleInput, **given: object) -> TakeHomeInput:
    facts: dict[str, object] = {
        "client_id": uuid4(),
        "order_id": uuid4(),
        "first_day": date(2026, 11, 28),
        "days": len(bottles),
        "dosage_form": "oral solution",
        "bottles": list(bottles),
        "handed_over_at": datetime(2026, 11, 27, 12, tzinfo=UTC),
    }
    return TakeHomeInput(**(facts | given))  # type: ignore[arg-type]


def refused(value: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as refusal:
        WRITES.map_arguments({"input": value})
    return refusal.value


def test_an_input_within_bounds_passes_as_given() -> None:
    given = {"input": take_home(BottleInput(bottle="B1", lot="LOT-7"))}
    assert WRITES.map_arguments(given) is given


def test_a_value_in_a_list_of_inputs_is_named_by_its_path() -> None:
    refusal = refused(
        take_home(BottleInput(bottle="B1", lot="LOT-7"), BottleInput(bottle="B2", lot="L\x00"))
    )
    assert (refusal.field, refusal.rule) == ("bottles.1.lot", "value-bounds")


def test_the_first_value_out_of_bounds_is_the_one_named() -> None:
    refusal = refused(
        take_home(BottleInput(bottle="B\x07", lot="LOT-7"), dosage_form="oral\x00solution")
    )
    assert refusal.field == "dosageForm"


def test_a_list_too_long_is_refused_whole_and_a_time_without_offset_by_its_rule() -> None:
    too_many = [BottleInput(bottle=f"B{n}", lot="LOT-7") for n in range(1000)]
    assert refused(take_home(*too_many)).field == "bottles"
    naive = refused(take_home(handed_over_at=datetime(2026, 11, 27, 12)))
    assert (naive.field, naive.rule) == ("handedOverAt", "time-offset")


def test_an_input_types_fields_are_listed_once() -> None:
    listed = _fields(TakeHomeInput)
    assert ("handed_over_at", "handedOverAt") in listed
    assert _fields(TakeHomeInput) is listed
