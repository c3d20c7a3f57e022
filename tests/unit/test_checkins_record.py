"""Check-ins, screens and vitals: who may report what, and what a report must hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from alert_story import PEER, Story, answers_totalling

from carecoord.events import Actor, Role
from carecoord.events.checkins import (
    CheckInRecorded,
    DrugScreenResulted,
    Instrument,
    InstrumentScored,
    ReportSource,
)
from carecoord.services.checkins import commands as checkins
from carecoord.services.checkins.record import CheckIn, Vitals
from carecoord.services.infrastructure.metrics import command_name
from carecoord.services.kernel.errors import Forbidden, InvalidInput, NotFound


def test_the_client_reports_about_themself_only() -> None:
    story = Story()
    me = Actor(id=str(story.client_id), role=Role.CLIENT)
    story.check_in(me, craving=20, mood=6)
    [checkin] = [e for e in story.events() if isinstance(e, CheckInRecorded)]
    assert checkin.source is ReportSource.SELF_REPORT
    with pytest.raises(Forbidden) as refused:
        story.check_in(Actor(id="someone-else", role=Role.CLIENT), craving=10)
    assert refused.value.rule == "own-record-only"


def test_clinician_rated_instruments_are_refused_to_clients_and_peers() -> None:
    story = Story()
    client = Actor(id=str(story.client_id), role=Role.CLIENT)
    for instrument in (Instrument.COWS, Instrument.CIWA_AR):
        for actor in (client, PEER):
            with pytest.raises(Forbidden) as refused:
                story.instrument(instrument, answers_totalling(instrument, 3), actor=actor)
            assert (refused.value.field, refused.value.rule) == ("instrument", "clinician-rated")
    # The self-rated ones are theirs to give, and a clinician gives the clinician-rated ones.
    story.instrument(Instrument.PHQ9, answers_totalling(Instrument.PHQ9, 3), actor=PEER)
    story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 3), actor=client)
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 3))

    scored = [e for e in story.events() if isinstance(e, InstrumentScored)]
    assert [(e.instrument, e.source, e.total) for e in scored] == [
        (Instrument.PHQ9, ReportSource.PEER_SUPPORTER, 3),
        (Instrument.GAD7, ReportSource.SELF_REPORT, 3),
        (Instrument.COWS, ReportSource.CLINICIAN, 3),
    ]


def test_an_empty_check_in_is_refused() -> None:
    story = Story()
    with pytest.raises(InvalidInput) as refused:
        story.check_in()
    assert refused.value.rule == "empty-check-in"
    with pytest.raises(InvalidInput) as range_refused:
        story.check_in(craving=101)
    assert range_refused.value.field == "craving"


def test_screen_analytes_are_named_from_the_panel() -> None:
    story = Story()
    story.screen(Benzodiazepines="positive")
    [screen] = [e for e in story.events() if isinstance(e, DrugScreenResulted)]
    assert screen.results[0].analyte == "benzodiazepines"
    with pytest.raises(InvalidInput) as refused:
        story.screen(benzos="positive")
    assert (refused.value.field, refused.value.rule) == ("results.0.analyte", "unknown-analyte")


def test_a_definitive_screen_names_each_opioid_as_the_federal_panel_does() -> None:
    """A lab's confirmation reports morphine, codeine or 6-MAM, not the immunoassay's
    "opiates": each was refused as an unknown analyte, so no definitive result was kept."""
    story = Story()
    panel = ("6-MAM", "morphine", "codeine", "hydrocodone", "hydromorphone", "oxymorphone")
    story.screen(None, **dict.fromkeys(panel, "positive"))
    [screen] = [e for e in story.events() if isinstance(e, DrugScreenResulted)]
    assert [f.analyte for f in screen.results] == [name.lower() for name in panel]


def test_vitals_need_a_measure_and_both_blood_pressures() -> None:
    story = Story()
    with pytest.raises(InvalidInput):
        story.vitals()
    with pytest.raises(InvalidInput) as refused:
        story.vitals(systolic_mmhg=120)
    assert refused.value.rule == "blood-pressure-pair"


def test_recording_for_a_client_not_enrolled_is_not_found() -> None:
    story = Story()
    story.client_id = story.client_id.__class__(int=story.client_id.int ^ 1)
    with pytest.raises(NotFound):
        story.check_in(craving=10)


def test_a_screen_collected_at_an_implausible_time_is_refused_naming_collected_at() -> None:
    story = Story()
    for collected in (story.now + timedelta(days=3), story.now - timedelta(days=3650)):
        with pytest.raises(InvalidInput) as refused:
            story.screen(at=collected, fentanyl="positive")
        assert refused.value.field == "collectedAt"
        assert refused.value.message.startswith("collectedAt ")
    assert not [e for e in story.events() if isinstance(e, DrugScreenResulted)]


@pytest.mark.parametrize("use", [None, False])
def test_substances_without_use_are_refused_naming_substances_whatever_else_is_given(
    use: bool | None,
) -> None:
    """Substances alone were refused as an empty check-in (field input), as if none were sent."""
    story = Story()
    for craving in (None, 40):
        with pytest.raises(InvalidInput) as refused:
            story.check_in(substances=("heroin",), substance_use=use, craving=craving)
        assert (refused.value.field, refused.value.rule) == ("substances", "substances-without-use")
    assert not [e for e in story.events() if isinstance(e, CheckInRecorded)]


def test_a_screens_summary_names_what_was_inconclusive() -> None:
    """An inconclusive fentanyl screen read "positive for none" on the timeline, as a clean one."""
    story = Story()
    story.screen(fentanyl="inconclusive", cocaine="negative")
    story.screen(fentanyl="inconclusive", methadone="positive", xylazine="inconclusive")
    story.screen(cocaine="negative")
    assert [e.summary() for e in story.events() if isinstance(e, DrugScreenResulted)] == [
        "Drug screen (presumptive): positive for none; inconclusive for fentanyl",
        "Drug screen (presumptive): positive for methadone; inconclusive for fentanyl, xylazine",
        "Drug screen (presumptive): positive for none",
    ]


def test_each_check_in_command_is_counted_under_its_own_name() -> None:
    """The metrics counted check-ins, instruments, screens and vitals as one _on_record."""
    story = Story()
    built = {
        "record_check_in": checkins.record_check_in(
            story.stamp(PEER), client_id=story.client_id, check_in=CheckIn(mood=5),
            rules=story.rules,
        ),
        "record_vital_signs": checkins.record_vital_signs(
            story.stamp(PEER), client_id=story.client_id, vitals=Vitals(pulse_bpm=70),
            rules=story.rules,
        ),
    }  # fmt: skip
    assert {name: command_name(command) for name, command in built.items()} == {
        name: name for name in built
    }


def test_substances_and_side_effects_named_twice_in_another_case_or_spacing_are_kept_once() -> None:
    """Only exact repeats were dropped: "alcohol", "ALCOHOL" and " alcohol" were kept as
    two, and the alert on the check-in read "alcohol, ALCOHOL"."""
    story = Story()
    story.check_in(
        substance_use=True,
        substances=("alcohol", "ALCOHOL", " alcohol", "Heroin ", "heroin"),
        side_effects=("Nausea", "nausea "),
    )
    [recorded] = [e for e in story.events() if isinstance(e, CheckInRecorded)]
    assert recorded.substances == ("alcohol", "Heroin")
    assert recorded.side_effects == ("Nausea",)


def test_a_check_ins_summary_reads_every_measure_and_counts_the_side_effects() -> None:
    """The timeline's line left out the sleep and the side effects: a nurse reading it saw
    neither. The side effects' words are free text, so the line gives their count alone."""
    story = Story()
    story.check_in(
        craving=20,
        mood=6,
        sleep_hours=Decimal("5.50"),
        sleep_quality=4,
        side_effects=("constipation", "sweating"),
        substance_use=True,
        substances=("alcohol",),
    )
    story.check_in(sleep_hours=Decimal("8"), side_effects=("nausea",))
    story.check_in(mood=7)
    story.check_in(sleep_hours=Decimal("-0"))  # read as any amount is: "sleep -0 h" was shown

    assert [e.summary() for e in story.events() if isinstance(e, CheckInRecorded)] == [
        "Check-in (peer_supporter), craving 20/100, mood 6/10, sleep 5.5 h,"
        " sleep quality 4/10, 2 side effects reported, substance use reported",
        "Check-in (peer_supporter), sleep 8 h, 1 side effect reported",
        "Check-in (peer_supporter), mood 7/10",
        "Check-in (peer_supporter), sleep 0 h",
    ]
