"""The take-home cap counts days in treatment from day 1 of the medication taken home
(42 CFR 8.12(i)(3) counts from the medication's initiation): a client switched to
methadone after weeks on buprenorphine, or on oral naltrexone, is in their first 14 days of
methadone, up to 7 days of it at a time, where the cap counted from the first dose of
anything and let them take 28 days home on their first day of methadone. Switching between
buprenorphine products goes on with the treatment."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events.medication import TakeHomeDispensed
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, GivenDose, TakeHome


def observed(story: Story, order: UUID, n: int, amount: str, form: str) -> None:
    story.on(day(n))
    given = GivenDose(order, Decimal(amount), form, 1, at(day(n)), lot="L1")
    dispensing.administer(story.record, story.stamp(NURSE), story.rules, uuid4(), given, site="OTP")


def switched(first: str, dose: str, form: str, route: str) -> tuple[Story, UUID]:
    """40 days on ``first``, stopped on day 41 and methadone 40 mg from that day, dosed."""
    story = Story()
    earlier = story.prescribe(first, dose, route=route)
    for n in range(1, 41):
        observed(story, earlier, n, dose, form)
    story.on(day(41), 7)
    story.discontinue(earlier, stopped_at=at(day(41), 7))
    methadone = story.prescribe(
        "methadone", "40", start=day(41), ack={"duplicate-opioid-treatment": "switch"}
    )
    story.dose(methadone, day(41), "40")
    story.eligible(28)
    return story, methadone


@pytest.mark.parametrize(
    ("first", "dose", "form", "route"),
    [
        ("buprenorphine", "16", "sublingual film", "sublingual"),
        ("naltrexone", "50", "tablet", "oral"),
    ],
)
def test_day_1_of_methadone_is_its_first_dose(first: str, dose: str, form: str, route: str) -> None:
    story, methadone = switched(first, dose, form, route)

    with pytest.raises(RuleViolation) as refused:
        story.take_home(methadone, day(41), day(42), 8)

    assert (refused.value.field, refused.value.rule) == ("days", "take-home-cap")
    assert "on day 1 of treatment" in refused.value.message
    story.take_home(methadone, day(41), day(42), 7)
    [handed] = story.events(TakeHomeDispensed)
    assert (handed.day_in_treatment, handed.cap_days) == (1, 7)


def test_a_switch_between_buprenorphine_products_goes_on_with_the_treatment() -> None:
    story = Story()
    mono = story.prescribe("buprenorphine", "16", route="sublingual")
    for n in range(1, 41):
        observed(story, mono, n, "16", "sublingual film")
    story.on(day(41), 7)
    story.discontinue(mono, stopped_at=at(day(41), 7))
    combined = story.prescribe("buprenorphine-naloxone", "16", route="sublingual", start=day(41))
    observed(story, combined, 41, "16", "sublingual film")
    story.eligible(28)

    given = TakeHome(
        combined, day(42), 20, "sublingual film",
        tuple(Bottle(f"B{n}", "L1") for n in range(20)), handed_over_at=at(day(41), 10),
    )  # fmt: skip
    dispensing.dispense_take_home(
        story.record, story.stamp(NURSE), story.rules, uuid4(), given, program="OTP"
    )

    [handed] = story.events(TakeHomeDispensed)
    assert (handed.day_in_treatment, handed.cap_days) == (41, 28)
