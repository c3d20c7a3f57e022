"""The catalog's own bounds: what no event carries, whatever its type, and how a refusal
names the field; stored events decode whatever the bounds say now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from carecoord.events import Actor, CareEvent, Role, bounds, catalog
from carecoord.events.amounts import AMOUNT_MAX, CONCENTRATION_MAX
from carecoord.events.bounds import said, visible
from carecoord.events.checkins import (
    AnalyteFinding,
    AnalyteResult,
    CheckInRecorded,
    DrugScreenResulted,
    InstrumentScored,
)
from carecoord.events.medication import GuestDosingArranged, MedicationPrescribed, Schedule
from carecoord.events.therapy import SessionNoteRecorded, SessionScheduled
from carecoord.graphql.input_bounds import BoundedArguments
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.stamp import Stamp

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CLIENT = uuid4()


def envelope() -> dict[str, Any]:
    return {
        "event_id": uuid4(),
        "client_id": CLIENT,
        "occurred_at": NOW,
        "recorded_at": NOW,
        "actor": Actor(id="nurse-1", role=Role.NURSE),
        "correlation_id": uuid4(),
    }


def check_in(**facts: Any) -> CheckInRecorded:
    given = envelope() | {"checkin_id": uuid4(), "source": "clinician"} | facts
    return CheckInRecorded(**given)


def refusal(build: Any, **facts: Any) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as refused:
        build(**facts)
    first = refused.value.errors()[0]
    return first["loc"], first["msg"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a\x00b", "U+0000"),
        ("bell\x07", "U+0007"),
        ("escape\x1b[31m", "U+001B"),
        ("delete\x7f", "U+007F"),
        ("c1\x85", "U+0085"),
        ("lone \ud800 surrogate", "unicode"),
        ("Dose \u202e06", "U+202E"),  # shown as "Dose 60": an override reverses what follows
        ("isolated \u2066x\u2069", "U+2066"),
        ("\u200f10-20 mg", "bidirectional control U+200F"),  # RLM: shown as "20-10 mg"
        ("\u061c10-20 mg", "bidirectional control U+061C"),  # ALM, as RLM
        ("left \u200e mark", "bidirectional control U+200E"),
        ("byte order \ufffe", "noncharacter U+FFFE"),
        ("last \uffff", "noncharacter U+FFFF"),
        ("range \ufdd0", "noncharacter U+FDD0"),
        ("plane \U0010ffff", "noncharacter U+10FFFF"),
        ("x" * 5001, "at most 5000"),
    ],
)
def test_text_with_control_characters_or_too_long_is_refused(value: str, reason: str) -> None:
    loc, message = refusal(check_in, note=value)
    assert loc == ("note",)
    assert reason in message


def test_tab_and_line_breaks_are_free_text() -> None:
    assert check_in(note="line one\r\n\tline two\n").note == "line one\r\n\tline two\n"
    assert check_in(note="émoji 🙂 and 漢字").note == "émoji 🙂 and 漢字"
    assert check_in(note="שלום and مرحبا 60").note == "שלום and مرحبا 60"  # no overrides needed


def test_a_string_field_without_its_own_bound_gets_the_default() -> None:
    facts = {"guest_dosing_id": uuid4(), "site": "Elsewhere", "start": date(2026, 3, 2)}
    assert GuestDosingArranged(**envelope(), **facts, end=date(2026, 3, 9)).site == "Elsewhere"
    notes = {"session_id": uuid4()}
    long_note = "n" * bounds.NOTE_MAX
    assert SessionNoteRecorded(**envelope(), **notes, note=long_note).note == long_note
    loc, message = refusal(
        InstrumentScored,
        **envelope(),
        assessment_id=uuid4(),
        instrument="PHQ-9",
        source="clinician",
        answers={"1": 1},
        total=1,
        band="minimal",
        scoring_version="x" * (bounds.TEXT_MAX + 1),
    )
    assert loc == ("scoring_version",)
    assert f"at most {bounds.TEXT_MAX}" in message


def test_strings_in_lists_and_dicts_are_labels_and_lists_are_counted() -> None:
    loc, message = refusal(check_in, side_effects=("nausea", "x" * 1_100_000))
    assert loc == ("side_effects", 1)
    assert f"at most {bounds.ITEM_MAX}" in message
    loc, message = refusal(check_in, side_effects=("nausea",) * 20_000)
    assert loc == ("side_effects",)
    assert "20000 entries" in message
    loc, message = refusal(
        InstrumentScored,
        **envelope(),
        assessment_id=uuid4(),
        instrument="PHQ-9",
        source="clinician",
        answers={"1": 1, "bad\x00item": 2},
        total=3,
        band="minimal",
        scoring_version="1",
    )
    assert loc == ("answers", 1)
    assert "U+0000" in message


def test_values_in_nested_models_are_named_by_their_path() -> None:
    finding = AnalyteFinding.model_construct(
        analyte="opiates\x00", result=AnalyteResult.POSITIVE, cutoff_ng_ml=None
    )
    loc, _ = refusal(
        DrugScreenResulted, **envelope(), screen_id=uuid4(), method="presumptive", results=[finding]
    )
    assert loc == ("results", 0, "analyte")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (Decimal("1e-40"), "decimal places"),
        (Decimal("1e12"), "below"),
        (Decimal("-1e999999"), "below"),
        (10**20, "below"),
        (-(10**400), "below"),
    ],
)
def test_numbers_are_of_a_size_a_column_holds(value: Decimal, reason: str) -> None:
    assert reason in (bounds.number_problem(value) or "")


def test_a_number_out_of_bounds_is_refused_naming_the_field() -> None:
    loc, message = refusal(check_in, sleep_hours=Decimal("1e-40"))
    assert loc == ("sleep_hours",)
    assert "decimal places" in message


def rule_refused(build: Any, **facts: Any) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as refused:
        build(**facts)
    first = refused.value.errors()[0]
    return first["loc"], first["type"]


def test_a_measure_is_taken_to_the_places_its_field_declares() -> None:
    """Hours of sleep are read to a hundredth: 12 places (a sixteenth of a nanosecond) were
    recorded as a client's sleep; trailing zeros are no places."""
    assert rule_refused(check_in, sleep_hours=Decimal("7.123456789012")) == (
        ("sleep_hours",), bounds.PLACES_RULE
    )  # fmt: skip
    assert rule_refused(check_in, sleep_hours=Decimal("7.125")) == (
        ("sleep_hours",), bounds.PLACES_RULE
    )  # fmt: skip
    for hours in ("7.25", "7.2500000", "8", "0"):
        assert check_in(sleep_hours=Decimal(hours)).sleep_hours == Decimal(hours)


def test_a_cutoff_in_a_list_of_findings_is_held_to_its_places_too() -> None:
    finding = AnalyteFinding(
        analyte="fentanyl", result=AnalyteResult.POSITIVE, cutoff_ng_ml=Decimal("1.0001")
    )
    screen = envelope() | {"screen_id": uuid4(), "method": "presumptive", "results": (finding,)}
    assert rule_refused(DrugScreenResulted, **screen) == (
        ("results", 0, "cutoff_ng_ml"), bounds.PLACES_RULE
    )  # fmt: skip


def test_history_recorded_with_more_places_stays_readable() -> None:
    recorded = check_in(sleep_hours=Decimal("7.25")).model_dump(mode="json")
    recorded["sleep_hours"] = "7.123456789012"
    assert CheckInRecorded.from_stored(recorded).sleep_hours == Decimal("7.123456789012")


def prescribed(dose: str) -> bytes:
    """A ``MedicationPrescribed`` as stored, its dose as written in the store."""
    order = MedicationPrescribed(
        **envelope(), order_id=uuid4(), medication="methadone", dose=Decimal(30), unit="mg",
        route="oral", schedule=Schedule(), start=date(2026, 3, 1),
    )  # fmt: skip
    return catalog.encode(order).replace(b'"dose":"30"', b'"dose":"%s"' % dose.encode())


@pytest.mark.parametrize("dose", ["1E+400", "10000000.001", "1E+12"])
def test_a_stored_amount_past_its_measure_does_not_decode(dose: str) -> None:
    """An amount's magnitude is declared on its type, as its places are, and held on decode:
    a dose of 1E+400 written into the store decoded, and every reader took it as a dose."""
    with pytest.raises(ValidationError) as refused:
        catalog.decode("medication.MedicationPrescribed", prescribed(dose))
    assert refused.value.errors()[0]["loc"] == ("dose",)


def test_a_stored_amount_within_its_measure_decodes_as_before() -> None:
    decoded = catalog.decode("medication.MedicationPrescribed", prescribed(str(AMOUNT_MAX)))
    assert isinstance(decoded, MedicationPrescribed)
    assert decoded.dose == AMOUNT_MAX


def test_a_cutoff_past_any_screens_is_refused_when_stored_too() -> None:
    finding = AnalyteFinding(
        analyte="fentanyl", result=AnalyteResult.POSITIVE, cutoff_ng_ml=Decimal(CONCENTRATION_MAX)
    )
    screen = DrugScreenResulted(
        **envelope(), screen_id=uuid4(), method="presumptive", results=(finding,)
    )
    stored = screen.model_dump(mode="json")
    assert DrugScreenResulted.from_stored(stored).results[0].cutoff_ng_ml == CONCENTRATION_MAX
    stored["results"][0]["cutoff_ng_ml"] = "1E+400"
    with pytest.raises(ValidationError):
        DrugScreenResulted.from_stored(stored)


@pytest.mark.parametrize(
    "value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), float("nan"), float("-inf")]
)
def test_not_a_number_and_infinities_are_refused(value: float | Decimal) -> None:
    assert bounds.number_problem(value) == "must be a finite number"


def test_ordinary_numbers_pass() -> None:
    for value in (Decimal("60"), Decimal("60.000000000000"), Decimal("-0"), Decimal("0.5"), 0, 7):
        assert bounds.number_problem(value) is None
    assert bounds.problem(True) is None


def test_dates_fall_in_plausible_years() -> None:
    loc, message = refusal(check_in, mood=5, occurred_at=datetime(9999, 12, 31, tzinfo=UTC))
    assert loc == ("occurred_at",)
    assert "1900 to 2200" in message
    assert bounds.date_problem(date(1, 1, 1))
    assert bounds.date_problem(date(1900, 1, 1)) is None
    assert bounds.date_problem(date(2200, 12, 31)) is None


@pytest.mark.parametrize(
    ("moment", "year"),
    [
        (datetime(1900, 1, 1, tzinfo=timezone(timedelta(hours=14))), "not 1899 in UTC (1900"),
        (datetime(2200, 12, 31, 23, tzinfo=timezone(timedelta(hours=-12))), "not 2201 in UTC"),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), "not 1"),  # no year 0 in UTC
    ],
)
def test_a_time_falls_in_the_plausible_years_in_utc(moment: datetime, year: str) -> None:
    """As stored and compared: 1900-01-01T00:00+14:00 passed as 1900 and was stored as
    1899-12-31 UTC, by an event and by an API argument alike."""
    loc, message = refusal(check_in, mood=5, occurred_at=moment)
    assert loc == ("occurred_at",)
    assert year in message
    with pytest.raises(InvalidInput) as refused:
        BoundedArguments(dates=True, reads=False).map_arguments({"occurred_at": moment})
    assert (refused.value.field, refused.value.rule) == ("occurredAt", "value-bounds")
    assert year in refused.value.message
    kiritimati = timezone(timedelta(hours=14))
    assert bounds.problem(datetime(1900, 1, 1, 14, tzinfo=kiritimati)) is None  # 00:00 UTC
    assert bounds.problem(datetime(2200, 12, 31, 23, 59, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (datetime(2026, 3, 9, 9), "needs its UTC offset"),
        (datetime(2026, 3, 9, 9, tzinfo=timezone(timedelta(hours=20))), "-12:00 to +14:00"),
        (datetime(2026, 3, 9, 9, tzinfo=timezone(timedelta(hours=-13))), "-12:00 to +14:00"),
    ],
)
def test_a_time_names_an_instant_postgresql_can_store(moment: datetime, reason: str) -> None:
    """Whatever sends the command (the API checks the same), a booked session at +20:00
    would be stored and then fail every caseload read that casts it."""
    booked = envelope() | {
        "session_id": uuid4(),
        "modality": "cbt",
        "format": "individual",
        "clinician_id": "ther-1",
        "planned_minutes": 50,
    }
    loc, message = refusal(SessionScheduled, **booked, scheduled_for=moment)
    assert loc == ("scheduled_for",)
    assert reason in message
    kiritimati = timezone(timedelta(hours=14))
    assert SessionScheduled(**booked, scheduled_for=NOW.astimezone(kiritimati))


def test_an_event_too_large_to_publish_is_refused_naming_its_largest_field() -> None:
    big = tuple("🙂" * bounds.ITEM_MAX for _ in range(bounds.COUNT_MAX))
    loc, message = refusal(check_in, side_effects=big)
    assert loc == ("side_effects",)
    assert f"at most {bounds.EVENT_BYTES_MAX}" in message


def test_the_stamp_names_the_field_as_the_api_does() -> None:
    stamp = Stamp(Actor(id="nurse-1", role=Role.NURSE))
    with pytest.raises(InvalidInput) as refused:
        stamp.event(
            CheckInRecorded,
            CLIENT,
            None,
            checkin_id=uuid4(),
            source="clinician",
            side_effects=("ok", "bad\x00"),
        )
    assert refused.value.field == "sideEffects.1"
    assert refused.value.code == "BAD_USER_INPUT"
    assert "U+0000" in refused.value.message


def test_stored_events_decode_whatever_the_bounds_say_now() -> None:
    """History written before a bound existed stays readable: only construction checks."""
    stored = catalog.encode(check_in(note="placeholder", side_effects=("placeholder",)))
    stored = stored.replace(b'"placeholder"', b'"bell \\u0007 ' + b"x" * 300 + b'"')
    decoded = catalog.decode("checkins.CheckInRecorded", stored)
    assert isinstance(decoded, CheckInRecorded)
    assert decoded.note.startswith("bell \x07")
    assert len(decoded.side_effects[0]) == 307


def test_no_event_type_skips_the_bounds() -> None:
    types = list(catalog.event_types())
    assert {GuestDosingArranged, SessionNoteRecorded} <= set(types), "the catalog is filled"
    for cls in types:
        validators = cls.__pydantic_decorators__.model_validators
        assert validators["_within_bounds"].func is CareEvent.__dict__["_within_bounds"]


def test_the_api_refuses_what_pydantic_would_not_name() -> None:
    """Lone surrogates pass a GraphQL string but cannot be encoded as UTF-8."""
    assert "U+D800" in (bounds.text_problem("a\ud800", 10) or "")
    assert bounds.problem("x" * bounds.NOTE_MAX) is None
    assert bounds.problem("x" * (bounds.NOTE_MAX + 1))


@pytest.mark.parametrize(
    "text",
    ["\u3164\u3164", "\u115f", "\uffa0", "\u2800 \u2800", "\u034f\u0301", " \u200b\u1160 "],
    ids=ascii,
)
def test_fillers_and_marks_on_nothing_show_nothing(text: str) -> None:
    assert visible(text) == 0
    assert said(text) == ""


def test_letters_with_their_marks_are_seen_once_each() -> None:
    assert visible("Jose\u0301 took it") == 10
    assert said(" \u0928\u0939\u0940\u0902 ") == "\u0928\u0939\u0940\u0902"
