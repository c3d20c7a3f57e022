"""Interaction rules see exposure, not only orders in force: a dose given this morning, the
take-homes in hand, an injection for its month, a stop, each through the rule's washout."""

from __future__ import annotations

from uuid import uuid4

import pytest
from medication_story import Story, at, day

from carecoord.events import Schedule
from carecoord.events.medication import (
    ExposureEvidence,
    HardStopRefused,
    InteractionFound,
    StatementSource,
)
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import statements
from carecoord.services.medication.exposure import picture
from carecoord.services.medication.findings import HardStop
from carecoord.services.medication.interactions import DEFAULT_RULES, Entry, Match
from carecoord.services.medication.statements import Statement


def exposure(match: Match) -> ExposureEvidence:
    """The other medication's exposure a pair rule counted (a rule on the QTc alone has none)."""
    assert match.exposure is not None
    return match.exposure


def methadone_until(last: int) -> Story:
    """A client on methadone dosed every day from day 1 to ``last``, then stopped that
    morning."""
    story = Story()
    order = story.prescribe("methadone", "60", start=day(1))
    for n in range(1, last + 1):
        story.dose(order, day(n))
    story.on(day(last), 10)
    story.discontinue(order)
    return story


def stopped(medication: str, dose: str, on: int) -> Story:
    """A client whose ``medication`` was ordered from day 1 and stopped the morning of day
    ``on``."""
    story = Story()
    order = story.prescribe(medication, dose, start=day(1))
    story.on(day(on))
    story.discontinue(order)
    return story


def test_naltrexone_the_morning_methadone_stopped_is_a_hard_stop_naming_when_it_may_start() -> None:
    story = methadone_until(10)

    with pytest.raises(HardStop) as refused:
        story.prescribe("naltrexone", "50", start=day(10), ack={"naltrexone-opioid-agonist": "ok"})

    match = refused.value.match
    assert match.rule.id == "naltrexone-opioid-agonist"
    counted = exposure(match)
    assert (counted.basis, counted.through) == (f"last dose given {day(10)}", day(10))
    assert (counted.washout_days, counted.clear_from) == (7, day(18))
    assert f"naltrexone may start on {day(18)} at the earliest" in refused.value.message
    assert "opioid-free 7-10 days" in refused.value.message  # the window's source
    assert story.events(InteractionFound) == []
    assert story.types()[-1] == "OrderDiscontinued", "a refused attempt creates no order"


def test_inside_the_opioid_free_interval_naltrexone_needs_the_evidence_acknowledged() -> None:
    story = methadone_until(10)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("naltrexone", "50", start=day(18))
    assert (refused.value.field, refused.value.rule) == (
        "acknowledgements",
        "naltrexone-opioid-free-interval",
    )
    assert f"clear from {day(25)}" in refused.value.message

    naltrexone = story.prescribe(
        "naltrexone", "50", start=day(18),
        ack={"naltrexone-opioid-free-interval": "UDS negative, naloxone challenge passed"},
    )  # fmt: skip

    [found] = story.events(InteractionFound)
    assert found.rule_id == "naltrexone-opioid-free-interval"
    assert found.exposure is not None
    assert (found.exposure.medication, found.exposure.through) == ("methadone", day(10))
    assert (found.exposure.washout_days, found.exposure.clear_from) == (14, day(25))
    assert f"exposure: methadone: last dose given {day(10)}, washout 14 days" in found.title
    [override] = story.overrides()
    assert (override.rule_id, override.rule_version, override.order_id) == (
        "naltrexone-opioid-free-interval",
        "1",
        naltrexone,
    )
    assert override.finding_id == found.finding_id
    assert (override.attempted.action, override.attempted.medication) == ("prescribe", "naltrexone")


def test_after_the_window_naltrexone_starts_without_a_finding() -> None:
    story = methadone_until(10)

    story.prescribe("naltrexone", "50", start=day(25))

    assert story.events(InteractionFound) == []


def test_a_short_acting_opioid_clears_after_ten_days_not_fourteen() -> None:
    story = stopped("oxycodone", "10", 5)

    with pytest.raises(RuleViolation, match=f"clear from {day(16)}"):
        story.prescribe("naltrexone", "50", start=day(15))
    naltrexone = story.prescribe("naltrexone", "50", start=day(16))

    assert naltrexone in story.record.orders
    assert story.events(InteractionFound) == []


def test_take_home_doses_in_hand_count_until_their_last_day() -> None:
    story = Story()
    order = story.prescribe("methadone", "60", start=day(1))
    story.dose(order, day(1))
    story.eligible(7)
    story.take_home(order, day(1), day(2), 5)  # bottles for days 2 to 6
    story.on(day(2))
    story.discontinue(order)

    [methadone] = picture(story.record, story.rules, day(2))

    assert (methadone.through, methadone.basis) == (
        day(6),
        f"take-home doses in hand through {day(6)}",
    )
    with pytest.raises(HardStop) as refused:
        story.prescribe("naltrexone", "50", start=day(13))
    assert exposure(refused.value.match).clear_from == day(14)


def test_a_long_acting_injection_counts_for_its_month() -> None:
    story = Story()
    monthly = Schedule(every_days=28)
    xr = story.prescribe(
        "naltrexone-xr", "380", route="intramuscular", start=day(1), schedule=monthly
    )
    story.dose(xr, day(1), "380", form="injection")
    story.on(day(20))
    story.discontinue(xr)

    [injection] = picture(story.record, story.rules, day(20))
    assert (injection.through, injection.basis) == (day(28), f"dose given {day(1)}, acting 28 days")
    with pytest.raises(HardStop, match=f"buprenorphine may start on {day(29)} at the earliest"):
        story.prescribe("buprenorphine", "8", route="sublingual", start=day(20))
    buprenorphine = story.prescribe("buprenorphine", "8", route="sublingual", start=day(29))

    assert buprenorphine in story.record.orders
    assert story.events(InteractionFound) == []


def test_fluoxetine_needs_five_weeks_before_an_maoi_sertraline_two() -> None:
    story = stopped("fluoxetine", "20", 10)
    sertraline_client = stopped("sertraline", "50", 10)

    with pytest.raises(HardStop) as refused:
        story.prescribe("phenelzine", "15", start=day(30))
    assert refused.value.match.rule.id == "ssri-maoi"
    assert exposure(refused.value.match).clear_from == day(46)  # 35 days after day 10
    assert "formulary.health.gov.on.ca" in refused.value.match.rule.source
    story.prescribe("phenelzine", "15", start=day(46))

    sertraline_client.prescribe("phenelzine", "15", start=day(25))
    assert sertraline_client.events(InteractionFound) == []


def test_an_maoi_stopped_counts_for_two_weeks_before_an_ssri_a_linezolid_course_does_not() -> None:
    story = stopped("phenelzine", "15", 5)
    with pytest.raises(HardStop, match=f"sertraline may start on {day(20)}"):
        story.prescribe("sertraline", "50", start=day(19))

    other = stopped("linezolid", "600", 5)
    sertraline = other.prescribe("sertraline", "50", start=day(6))

    assert sertraline in other.record.orders
    assert other.events(InteractionFound) == []


def test_a_course_that_ends_before_an_order_due_later_starts_does_not_meet_it() -> None:
    story = Story()
    story.prescribe("methadone", "30", start=day(20))

    story.prescribe("naltrexone", "50", start=day(1), end=day(5))
    story.prescribe("lorazepam", "1", start=day(1), end=day(5))

    assert story.events(InteractionFound) == []
    with pytest.raises(RuleViolation, match="opioid-cns-depressant"):
        story.prescribe("diazepam", "5", start=day(1), end=day(20))


def test_an_maoi_course_ending_before_an_ssri_due_later_meets_it_through_its_washout() -> None:
    story, later = Story(), Story()
    story.prescribe("sertraline", "50", start=day(19))
    later.prescribe("sertraline", "50", start=day(20))

    with pytest.raises(HardStop, match="ssri-maoi"):
        story.prescribe("phenelzine", "15", start=day(1), end=day(5))
    later.prescribe("phenelzine", "15", start=day(1), end=day(5))

    assert later.events(InteractionFound) == []


def test_disulfiram_counts_two_weeks_for_metronidazole_and_alcohol_products() -> None:
    story = stopped("disulfiram", "250", 10)

    with pytest.raises(HardStop) as refused:
        story.prescribe("metronidazole", "500", start=day(20))
    assert (refused.value.match.rule.id, exposure(refused.value.match).clear_from) == (
        "disulfiram-metronidazole",
        day(25),
    )
    found = statements.record_statement(
        story.record, story.stamp(), story.rules, uuid4(),
        Statement("alcohol-containing-product", StatementSource.OVER_THE_COUNTER),
    )  # fmt: skip
    assert [f.rule_id for f in found] == ["disulfiram-alcohol-product"]
    assert found[0].exposure is not None
    assert found[0].exposure.basis == f"order stopped {day(10)}"
    metronidazole = story.prescribe("metronidazole", "500", start=day(25))

    assert metronidazole in story.record.orders
    assert [f.rule_id for f in story.events(InteractionFound)] == ["disulfiram-alcohol-product"]


def test_a_medication_from_elsewhere_counts_through_the_day_it_stopped() -> None:
    story = Story()
    statement = uuid4()
    statements.record_statement(
        story.record, story.stamp(), story.rules, statement,
        Statement("tramadol", StatementSource.OTHER_PRESCRIBER),
    )  # fmt: skip
    story.on(day(12))
    statements.end_statement(
        story.record, story.stamp(), story.rules, statement, "finished", at(day(10), 20)
    )

    [tramadol] = picture(story.record, story.rules, day(12))
    assert (tramadol.through, tramadol.basis) == (
        day(10),
        f"reported from elsewhere, stopped {day(10)}",
    )
    with pytest.raises(HardStop, match=f"naltrexone may start on {day(18)}"):
        story.prescribe("naltrexone", "50", start=day(12))


def test_an_order_in_error_drops_out_unless_doses_were_given_under_it() -> None:
    story = Story()
    never_given = story.prescribe("buprenorphine", "8", route="sublingual", start=day(1))
    story.discontinue_in_error(never_given)
    assert picture(story.record, story.rules, day(1)) == []

    given = story.prescribe("methadone", "30", start=day(1))
    story.dose(given, day(1), "30")
    story.discontinue_in_error(given)
    [methadone] = picture(story.record, story.rules, day(1))
    assert methadone.through == day(1)


def test_rules_with_a_washout_name_a_source_for_each_and_a_new_version() -> None:
    timed = [rule for rule in DEFAULT_RULES if rule.washouts]
    assert {rule.id for rule in timed} == {
        "opioid-cns-depressant",
        "naltrexone-opioid-agonist",
        "naltrexone-opioid-free-interval",
        "opioid-maoi",
        "ssri-maoi",
        "tca-maoi",
        "stimulant-maoi",
        "triptan-maoi",
        "disulfiram-alcohol-product",
        "disulfiram-metronidazole",
    }
    for rule in timed:
        assert all(w.days > 0 and w.source.startswith("https://") for w in rule.washouts), rule.id
        assert rule.version != "1" or rule.id == "naltrexone-opioid-free-interval", rule.id
    interval = next(r for r in DEFAULT_RULES if r.id == "naltrexone-opioid-free-interval")
    assert interval.washout_days(frozenset({"opioid", "methadone"})) == 14
    assert interval.washout_days(frozenset({"opioid"})) == 10
    assert interval.washout_days(frozenset({"opioid_antagonist"})) == 0


def test_the_same_medication_again_is_not_an_interaction_with_its_past() -> None:
    story = methadone_until(3)
    story.prescribe("methadone", "40", start=day(4))
    assert story.events(InteractionFound) == []
    assert story.events(HardStopRefused) == []


def test_an_entry_in_the_picture_says_when_it_clears_for_a_rule() -> None:
    exposure = Entry(uuid4(), "fluoxetine", frozenset({"fluoxetine"}),
                     through=day(10), basis="order stopped").evidence(35)  # fmt: skip
    assert (exposure.clear_from, exposure.describe()) == (
        day(46),
        f"fluoxetine: order stopped, washout 35 days; clear from {day(46)}",
    )
