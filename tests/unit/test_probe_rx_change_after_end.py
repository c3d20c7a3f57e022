"""A dose change or a taper of an order with an end date starts by that end (a taper may give
an end of its own): one starting after it was refused naming end, a field changeDose does not
have, as "end <the order's end> is before start", so the prescriber could not tell which date
was wrong or that the end was the order's."""

from __future__ import annotations

from uuid import UUID

import pytest
from medication_story import Story, day

from carecoord.services.kernel.errors import InvalidInput


def ending_on_day_5() -> tuple[Story, UUID]:
    story = Story()
    return story, story.prescribe("methadone", "60", start=day(1), end=day(5))


def test_a_dose_change_after_the_orders_end_is_refused_naming_start() -> None:
    story, order = ending_on_day_5()

    with pytest.raises(InvalidInput) as refused:
        story.change(order, "70", day(10))

    assert (refused.value.field, refused.value.rule) == ("start", "end-after-start")
    assert f"ends on {day(5)}" in refused.value.message
    story.change(order, "70", day(5))


def test_a_taper_after_the_orders_end_is_refused_naming_its_first_step() -> None:
    story, order = ending_on_day_5()

    with pytest.raises(InvalidInput) as refused:
        story.taper(order, [(day(10), "50")])

    assert (refused.value.field, refused.value.rule) == ("steps.0.start", "end-after-start")
    assert f"after the order's end ({day(5)}" in refused.value.message
