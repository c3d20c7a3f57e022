"""A check-in, instrument, drug screen or vital signs recorded in error is corrected by a new
event naming the entry and why: the record stops counting it (the latest QTc the methadone
rules read, the craving baseline), nothing is edited in place, and each refusal names its
field and rule and records nothing."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from alert_story import NURSE, PEER, THERAPIST, Story, answers_totalling

from carecoord.events import Actor, Kind, Role
from carecoord.events.checkins import (
    CheckInEnteredInError,
    CheckInRecorded,
    DrugScreenResulted,
    Entry,
    Instrument,
    InstrumentScored,
    VitalSignsRecorded,
)
from carecoord.services.checkins import commands as checkins
from carecoord.services.checkins.record import CheckInRecord
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import Forbidden, InvalidInput, NotFound, RuleViolation


def mark(
    story: Story, entry_id: UUID, reason: str = "recorded on the wrong client", actor: Actor = NURSE
) -> UUID:
    story.later(hours=1)
    return story.run(
        checkins.mark_entered_in_error(
            story.stamp(actor),
            client_id=story.client_id,
            entry_id=entry_id,
            reason=reason,
            rules=story.rules,
        )
    )


def record(story: Story) -> CheckInRecord:
    found = story.touched[aggregate_id(CheckInRecord.context, story.client_id)]
    assert isinstance(found, CheckInRecord)
    return found


def corrections(story: Story) -> list[CheckInEnteredInError]:
    return [e for e in story.events() if isinstance(e, CheckInEnteredInError)]


def test_a_qtc_in_error_is_no_longer_the_latest_the_methadone_rules_read() -> None:
    story = Story()
    story.vitals(qtc_ms=440)
    wrong = story.vitals(qtc_ms=520)
    [earlier, typed] = [e for e in story.events() if isinstance(e, VitalSignsRecorded)]
    assert record(story).latest_qtc is not None
    assert record(story).latest_qtc.qtc_ms == 520  # type: ignore[union-attr]

    mark(story, wrong, "  QTc typed as 520, the ECG read 420  ")

    [event] = corrections(story)
    assert (event.entry, event.entry_id, event.entry_event_id) == (
        Entry.VITAL_SIGNS,
        typed.vitals_id,
        wrong,
    )
    assert event.reason == "QTc typed as 520, the ECG read 420"
    assert event.summary() == "Vital signs entered in error (QTc typed as 520, the ECG read 420)"
    latest = record(story).latest_qtc
    assert latest is not None
    assert (latest.vitals_id, latest.qtc_ms) == (earlier.vitals_id, 440)
    # The vitals' own event stays as recorded.
    assert [e.qtc_ms for e in story.events() if isinstance(e, VitalSignsRecorded)] == [440, 520]


def test_the_only_qtc_in_error_leaves_none() -> None:
    story = Story()
    wrong = story.vitals(qtc_ms=510)
    mark(story, wrong)
    assert record(story).latest_qtc is None


def test_an_entry_is_named_by_its_own_id_or_its_event_id() -> None:
    story = Story()
    story.instrument(Instrument.PHQ9, answers_totalling(Instrument.PHQ9, 4))
    [scored] = [e for e in story.events() if isinstance(e, InstrumentScored)]
    mark(story, scored.assessment_id, "item 9 mistyped")
    [event] = corrections(story)
    assert (event.entry, event.entry_id, event.entry_event_id, event.instrument) == (
        Entry.INSTRUMENT,
        scored.assessment_id,
        scored.event_id,
        Instrument.PHQ9,
    )
    assert event.summary() == "PHQ-9 entered in error (item 9 mistyped)"


def test_a_craving_in_error_leaves_the_baseline() -> None:
    story = Story()
    story.check_in(craving=10)
    wrong = story.check_in(craving=95)
    assert [r.value for r in record(story).cravings] == [10, 95]
    mark(story, wrong, actor=PEER)
    assert [r.value for r in record(story).cravings] == [10]
    [event] = corrections(story)
    assert event.entry is Entry.CHECK_IN


def test_an_entry_already_in_error_is_refused() -> None:
    story = Story()
    wrong = story.check_in(craving=30)
    mark(story, wrong)
    with pytest.raises(RuleViolation) as refused:
        mark(story, wrong, "again")
    assert (refused.value.field, refused.value.rule) == ("entryId", "already-in-error")
    assert len(corrections(story)) == 1


def test_a_refusal_names_the_entry_by_the_id_it_was_given() -> None:
    """recordCheckIn answers the event's id, and marking it twice was refused naming the
    check-in's own id, which the caller had never been given."""
    story = Story()
    story.check_in(craving=30)
    [checked] = [e for e in story.events() if isinstance(e, CheckInRecorded)]
    mark(story, checked.event_id)
    for given in (checked.event_id, checked.checkin_id):
        with pytest.raises(RuleViolation) as refused:
            mark(story, given, "again")
        assert f"entry {given} was already marked" in refused.value.message


def test_an_entry_not_recorded_for_this_client_is_not_found() -> None:
    story = Story()
    story.check_in(craving=30)
    other = Story()
    theirs = other.check_in(craving=30)
    for unknown in (uuid4(), theirs):
        with pytest.raises(NotFound) as refused:
            mark(story, unknown)
        assert (refused.value.field, refused.value.rule) == ("entryId", "unknown-entry")
    assert corrections(story) == []


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_reason_is_required(reason: str) -> None:
    story = Story()
    wrong = story.check_in(mood=3)
    with pytest.raises(InvalidInput) as refused:
        mark(story, wrong, reason)
    assert (refused.value.field, refused.value.rule) == ("reason", "reason-required")
    assert corrections(story) == []


def test_a_reason_is_bounded_and_printable() -> None:
    story = Story()
    wrong = story.check_in(mood=3)
    for reason in ("x" * 501, "wrong\x00client", "wrong \u202eclient"):
        with pytest.raises(InvalidInput) as refused:
            mark(story, wrong, reason)
        assert refused.value.field == "reason"
    assert corrections(story) == []


def refusal(story: Story, entry_id: UUID, actor: Actor) -> tuple[object, ...]:
    """Everything a refusal tells its caller: its type, code, field, rule and message."""
    with pytest.raises((Forbidden, NotFound)) as refused:
        mark(story, entry_id, actor=actor)
    error = refused.value
    return (type(error), error.code, error.field, error.rule, error.message)


def test_only_the_roles_that_record_the_entry_correct_it() -> None:
    story = Story()
    screen = story.screen(benzodiazepines="positive")
    vitals = story.vitals(qtc_ms=450)
    checked = story.check_in(craving=20)
    client = Actor(id=str(story.client_id), role=Role.CLIENT)
    for entry in (screen, vitals):
        # A therapist sees screens and vitals (MEDICATION kind): told who corrects them.
        with pytest.raises(Forbidden) as refused:
            mark(story, entry, actor=THERAPIST)
        assert (refused.value.field, refused.value.rule) == ("entryId", "role-may-record")
        assert refused.value.message.endswith("corrected by one of: nurse, prescriber")
        # A peer supporter does not: told what an id nobody recorded is told.
        assert refusal(story, entry, PEER)[:4] == (
            NotFound,
            "NOT_FOUND",
            "entryId",
            "unknown-entry",
        )
    with pytest.raises(Forbidden) as by_client:
        mark(story, checked, actor=client)
    assert (by_client.value.field, by_client.value.rule) == ("role", "role-may-record")
    assert corrections(story) == []
    mark(story, screen, "typed as positive; the cup read negative")
    mark(story, checked, actor=THERAPIST)
    assert [e.entry for e in corrections(story)] == [Entry.DRUG_SCREEN, Entry.CHECK_IN]
    assert [e for e in story.events() if isinstance(e, CheckInRecorded)] != []


def test_a_peer_supporter_cannot_tell_a_screen_or_vitals_from_an_unknown_id() -> None:
    """Ids cannot be probed: the refusal of a screen's or vital signs' id to a peer supporter,
    who sees neither, is the refusal of the same id where nothing was recorded under it, to
    the letter; before and after the entry is marked entered in error, by its own id or its
    event's."""
    story = Story()
    story.screen(benzodiazepines="positive")
    story.vitals(qtc_ms=450)
    [screen] = [e for e in story.events() if isinstance(e, DrugScreenResulted)]
    [vitals] = [e for e in story.events() if isinstance(e, VitalSignsRecorded)]
    ids = [screen.event_id, screen.screen_id, vitals.event_id, vitals.vitals_id]
    elsewhere = Story()  # another client's record, where none of these ids was recorded
    elsewhere.check_in(craving=20)
    for entry_id in ids:
        unknown = refusal(elsewhere, entry_id, PEER)
        assert unknown[:4] == (NotFound, "NOT_FOUND", "entryId", "unknown-entry")
        assert refusal(story, entry_id, PEER) == unknown
    mark(story, vitals.vitals_id)
    for entry_id in ids:
        assert refusal(story, entry_id, PEER) == refusal(elsewhere, entry_id, PEER)
    assert [e.entry for e in corrections(story)] == [Entry.VITAL_SIGNS]


@pytest.mark.parametrize("instrument", [Instrument.COWS, Instrument.CIWA_AR])
def test_a_clinician_rated_instrument_is_not_a_peer_supporters_to_mark(
    instrument: Instrument,
) -> None:
    """A peer supporter may not score a COWS or a CIWA-Ar, and marked one in error, which then
    counted nowhere."""
    story = Story()
    scored = story.instrument(instrument, answers_totalling(instrument, 12))
    with pytest.raises(Forbidden) as refused:
        mark(story, scored, actor=PEER)
    assert (refused.value.field, refused.value.rule) == ("entryId", "role-may-record")
    assert "nurse, prescriber, therapist" in refused.value.message
    assert corrections(story) == []
    mark(story, scored, actor=THERAPIST)
    assert [e.instrument for e in corrections(story)] == [instrument]


def test_a_positive_screen_in_error_is_no_longer_exposure_the_medication_rules_read() -> None:
    story = Story()
    story.screen(fentanyl="positive", cannabinoids="negative")
    wrong = story.screen(methadone="positive", eddp="positive")
    story.screen(opiates="negative")
    [kept, typed] = record(story).positive_screens
    assert (kept.analytes, typed.analytes) == (
        frozenset({"fentanyl"}),
        frozenset({"methadone", "eddp"}),
    )

    mark(story, wrong)

    assert record(story).positive_screens == [kept]


def test_a_correction_is_of_the_kind_of_the_entry_it_names() -> None:
    """A check-in's or an instrument's correction is a check-in's, shown and sent wherever
    the check-in is; a screen's or vital signs' is MEDICATION as they are. Before, each was
    MEDICATION, so a reader of check-ins alone never saw that a check-in was in error."""
    story = Story()
    entries = [
        story.check_in(craving=95),
        story.instrument(Instrument.PHQ9, answers_totalling(Instrument.PHQ9, 4)),
        story.screen(fentanyl="positive"),
        story.vitals(qtc_ms=520),
    ]
    for entry in entries:
        mark(story, entry)
    kinds = {e.entry: e.kind for e in corrections(story)}
    assert kinds == {
        Entry.CHECK_IN: Kind.CHECK_IN,
        Entry.INSTRUMENT: Kind.CHECK_IN,
        Entry.DRUG_SCREEN: Kind.MEDICATION,
        Entry.VITAL_SIGNS: Kind.MEDICATION,
    }
    recorded = {type(e): e.kind for e in story.events() if not isinstance(e, CheckInEnteredInError)}
    assert kinds[Entry.CHECK_IN] is recorded[CheckInRecorded]
    assert kinds[Entry.VITAL_SIGNS] is recorded[VitalSignsRecorded]
