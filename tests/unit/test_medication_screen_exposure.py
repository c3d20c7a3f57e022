"""A drug screen that found an opioid or alcohol is exposure the interaction rules count, as
a dose given is: naltrexone after an opioid-positive screen precipitates withdrawal whether
or not the opioid was prescribed (the label contraindicates it), disulfiram after alcohol
reacts. What the client's own treatment explains (methadone on methadone) counts as that
treatment does, not twice."""

from __future__ import annotations

import pytest
from medication_story import Story, day

from carecoord.events.medication import InteractionFound
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.findings import HardStop

INTERVAL = "naltrexone-opioid-free-interval"


def test_naltrexone_within_a_week_of_a_fentanyl_positive_screen_is_a_hard_stop() -> None:
    story = Story()
    screen = story.screened(day(3), "fentanyl", "cannabinoids")
    story.on(day(5))

    with pytest.raises(HardStop) as refused:
        story.prescribe("naltrexone", "50", start=day(5), ack={INTERVAL: "negative UDS"})

    match = refused.value.match
    assert match.rule.id == "naltrexone-opioid-agonist"
    assert match.other is not None
    assert match.other.id == screen
    counted = match.exposure
    assert counted is not None
    assert (counted.medication, counted.basis) == (
        "fentanyl",
        f"positive drug screen collected {day(3)}",
    )
    assert (counted.through, counted.washout_days, counted.clear_from) == (day(3), 7, day(11))
    assert f"naltrexone may start on {day(11)} at the earliest" in refused.value.message
    assert story.types() == [], "a refused attempt records nothing here"


def test_after_the_hard_stop_the_opioid_free_interval_asks_for_the_evidence() -> None:
    story = Story()
    screen = story.screened(day(3), "opiates", "oxycodone")
    story.on(day(12))

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("naltrexone", "50", start=day(12))
    assert (refused.value.field, refused.value.rule) == ("acknowledgements", INTERVAL)

    story.prescribe("naltrexone", "50", start=day(12), ack={INTERVAL: "naloxone challenge"})
    [found] = story.events(InteractionFound)
    assert [i.id for i in found.implicated][1:] == [screen]
    assert found.exposure is not None
    assert (found.exposure.medication, found.exposure.clear_from) == ("opiates, oxycodone", day(14))


@pytest.mark.parametrize(
    "analyte", ["6-mam", "morphine", "codeine", "hydrocodone", "hydromorphone", "oxymorphone"]
)
def test_an_opioid_a_definitive_screen_names_is_exposure_as_opiates_is(analyte: str) -> None:
    """Heroin confirmed by its metabolite 6-MAM is as opioid as a presumptive "opiates"."""
    story = Story()
    story.screened(day(3), analyte)
    story.on(day(5))

    with pytest.raises(HardStop) as refused:
        story.prescribe("naltrexone", "50", start=day(5), ack={INTERVAL: "negative UDS"})
    assert refused.value.match.rule.id == "naltrexone-opioid-agonist"


def test_two_weeks_after_the_screen_naltrexone_starts_without_a_finding() -> None:
    story = Story()
    story.screened(day(3), "fentanyl")
    story.on(day(14))

    story.prescribe("naltrexone", "50", start=day(14))

    assert story.events(InteractionFound) == []


def test_methadone_found_without_methadone_in_the_picture_counts_as_methadone() -> None:
    """Diverted methadone: buprenorphine started the day it was found meets the
    duplicate-treatment rule, and naltrexone the 14-day interval."""
    story = Story()
    story.screened(day(3), "methadone", "eddp")
    story.on(day(3), 11)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("buprenorphine", "8", route="sublingual", start=day(3))
    assert refused.value.rule == "duplicate-opioid-treatment"

    story.on(day(15))
    with pytest.raises(RuleViolation) as interval:
        story.prescribe("naltrexone", "50", start=day(15))
    assert interval.value.rule == INTERVAL
    assert f"clear from {day(18)}" in interval.value.message


def test_methadone_found_on_methadone_adds_no_finding_of_its_own() -> None:
    story = Story()
    story.prescribe("methadone", "60", start=day(1))
    story.screened(day(3), "methadone", "eddp")
    story.on(day(4))

    story.prescribe("sertraline", "50", start=day(4))

    assert [f.rule_id for f in story.events(InteractionFound)] == ["opioid-serotonergic"]
    [found] = story.events(InteractionFound)
    assert [i.medication for i in found.implicated] == ["sertraline", "methadone"]


def test_alcohol_found_the_day_before_disulfiram_needs_the_abstinence_acknowledged() -> None:
    story = Story()
    story.screened(day(3), "etg")
    story.on(day(4))

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("disulfiram", "250", start=day(4))
    assert (refused.value.field, refused.value.rule) == (
        "acknowledgements",
        "disulfiram-alcohol-product",
    )

    story.on(day(5))
    story.prescribe("disulfiram", "250", start=day(5))
    assert story.events(InteractionFound) == []


def test_a_screen_that_found_nothing_a_rule_reads_is_no_exposure() -> None:
    story = Story()
    story.screened(day(3), "cannabinoids", "cocaine")
    story.on(day(4))

    story.prescribe("naltrexone", "50", start=day(4))

    assert story.events(InteractionFound) == []
