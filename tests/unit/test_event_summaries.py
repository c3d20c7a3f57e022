"""A summary filled from only the fields its template names reads as one filled from every
field's JSON form (``events/summaries.py``): a rebuilt timeline must match the live one. An
amount in it reads as its number, however it was written (``events/amounts.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from every_event import every_event
from pydantic import BaseModel

from carecoord.events import CareEvent, Role
from carecoord.events.medication import DoseAdministered
from carecoord.events.summaries import filled, named

EVERY = every_event().events


@pytest.mark.parametrize("event", EVERY, ids=lambda e: type(e).__name__)
def test_each_event_reads_as_its_template_filled_from_its_json_form(event: CareEvent) -> None:
    """The base line of every type, the same, or the same error: a type whose own
    ``summary`` fills its template from elsewhere names what its fields lack."""
    template = type(event).summary_template
    try:
        expected = template.format(**event.summary_facts())
    except KeyError as lacking:
        with pytest.raises(KeyError, match=str(lacking)):
            CareEvent.summary(event)
    else:
        assert CareEvent.summary(event) == expected


def test_a_dose_is_filled_from_its_own_fields() -> None:
    dose = next(e for e in EVERY if type(e) is DoseAdministered)
    template = DoseAdministered.summary_template
    names = named(template, frozenset(DoseAdministered.model_fields))
    assert names == ("medication", "amount", "unit")
    line = filled(template, names, dose)
    assert line is not None
    assert line == dose.summary() == template.format(**dose.summary_facts())


def padded(value: Any) -> Any:
    """``value`` with every amount in it, however deep, written with trailing zeros."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("1.000000"))
    if isinstance(value, BaseModel):
        return value.model_copy(update={name: padded(field) for name, field in value})
    if isinstance(value, tuple):
        return tuple(map(padded, value))
    return value


@pytest.mark.parametrize("event", EVERY, ids=lambda e: type(e).__name__)
def test_an_amount_written_with_trailing_zeros_reads_as_its_number(event: CareEvent) -> None:
    """A dose sent as "40.000000000000" read "Dose given: methadone 40.000000000000 mg" on
    the timeline; the event keeps it as written, its summary shows the number."""
    assert padded(event).summary() == event.summary()


class Sample(BaseModel):
    amount: Decimal
    role: Role
    at: datetime
    flag: bool


SAMPLE = Sample(
    amount=Decimal("1E+1"), role=Role.NURSE, at=datetime(2026, 1, 5, tzinfo=UTC), flag=True
)
FIELDS = frozenset(Sample.model_fields)


def fill(template: str) -> str | None:
    names = named(template, FIELDS)
    return None if names is None else filled(template, names, SAMPLE)


def test_an_enum_reads_as_its_value_and_a_decimal_as_its_number() -> None:
    assert fill("{amount} by {role}") == "10 by nurse"


@pytest.mark.parametrize(
    "template",
    [
        "{at}",  # a datetime formats with a space where its JSON form has a T
        "{flag}",
        "{amount:.1f}",
        "{amount!r}",
        "{role.value}",
        "{unknown}",
        "{}",
    ],
)
def test_anything_that_could_read_otherwise_goes_the_long_way(template: str) -> None:
    assert fill(template) is None
