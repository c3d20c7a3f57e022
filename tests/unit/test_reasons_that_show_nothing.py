"""A required reason, note or description says something a reader sees. Several commands
checked only ``text.strip()``, so one made of zero-width characters (U+200B, U+2060, U+FEFF)
passed and was recorded: it looked written and said nothing. Each is now refused exactly as a
blank one is (the same kind of refusal, field and rule) and records nothing; a reason that says
something is recorded trimmed, as before.

A correction's reason (``EnteredInError.reason``) is held to it by the event too, for new
input only: one already stored is read as it was recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import alert_story
import medication_story
import pytest
import stock_story
from alert_story import ADMIN, NURSE, THERAPIST, answers_totalling
from every_event import every_event
from medication_story import DOCTOR, at, day
from pydantic import ValidationError

from carecoord.events import catalog
from carecoord.events.checkins import Instrument
from carecoord.events.envelope import EnteredInError
from carecoord.events.medication import TakeHomeDispensed
from carecoord.events.stock import Resolution, StockDiscrepancyFound, WasteReason
from carecoord.services.care.commands import set_treatment_goal
from carecoord.services.careteam.commands import end_membership
from carecoord.services.checkins import commands as checkins
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.errors import DomainError, InvalidInput, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing, prescribing
from carecoord.services.medication.dispensing import InError, Replacement, TakeHomeInError
from carecoord.services.medication.doses import ABOVE_USUAL
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock import commands as stock
from carecoord.services.stock.movements import Waste
from carecoord.services.therapy import commands as therapy
from carecoord.services.therapy.record import Outcome

SHOWS_NOTHING = ["\u200b\u200b", "\u2060", " \ufeff "]
"""Zero-width space twice, a word joiner, a byte-order mark between spaces."""
BLANK = "  \t "
SAYS = "  charted for the wrong client  "

Attempt = Callable[[str], object]
"""One command given the text under test as its reason (or note, or description)."""


@dataclass(frozen=True)
class Prepared:
    attempt: Attempt
    recorded: Callable[[], int]
    """How many events the aggregates the command touches hold so far."""


@dataclass(frozen=True)
class Case:
    name: str
    prepare: Callable[[], Prepared]
    refused: tuple[type[DomainError], str, str]
    """The refusal a blank text gets: its kind, field and rule."""

    def __str__(self) -> str:
        return self.name


# --- medication: one client's record, driven directly ------------------------------------


def _on_order(act: Callable[[medication_story.Story, UUID, str], object]) -> Prepared:
    story = medication_story.Story()
    order = story.prescribe()
    return Prepared(lambda text: act(story, order, text), lambda: len(story.record.pending))


def _on_dose(act: Callable[[medication_story.Story, UUID, UUID, str], object]) -> Prepared:
    story = medication_story.Story()
    order = story.prescribe()
    dose = story.dose(order, day(1))
    story.on(day(1), 11)
    return Prepared(lambda text: act(story, order, dose, text), lambda: len(story.record.pending))


def hold() -> Prepared:
    return _on_order(lambda story, order, text: story.hold(order, text))


def stop() -> Prepared:
    return _on_order(lambda story, order, text: story.discontinue(order, reason=text))


def order_in_error() -> Prepared:
    return _on_order(
        lambda story, order, text: prescribing.discontinue(
            story.record, story.stamp(), story.rules, order, text, in_error=True
        )
    )


def replacement() -> Prepared:
    def replace(story: medication_story.Story, order: UUID, dose: UUID, text: str) -> None:
        given = Replacement(order, dose, Decimal(60), "oral solution", text, at(day(1), 10))
        dispensing.replace_dose(
            story.record, story.stamp(medication_story.NURSE), story.rules, uuid4(), given,
            site="OTP",
        )  # fmt: skip

    return _on_dose(replace)


def dose_in_error() -> Prepared:
    return _on_dose(
        lambda story, _, dose, text: dispensing.enter_in_error(
            story.record, story.stamp(medication_story.NURSE), story.rules, InError(dose, text)
        )
    )


def take_home_in_error() -> Prepared:
    story = medication_story.Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.eligible(7)
    story.take_home(order, day(1), day(2), 3)
    dispense = story.events(TakeHomeDispensed)[-1].dispense_id
    story.on(day(1), 11)
    return Prepared(
        lambda text: dispensing.enter_take_home_in_error(
            story.record, story.stamp(medication_story.NURSE), story.rules,
            TakeHomeInError(dispense, text),
        ),
        lambda: len(story.record.pending),
    )  # fmt: skip


def above_usual_maximum() -> Prepared:
    story = medication_story.Story()
    return Prepared(
        lambda text: story.prescribe("methadone", "150", ack={ABOVE_USUAL: text}),
        lambda: len(story.record.pending),
    )


def high_severity_interaction() -> Prepared:
    story = medication_story.Story()
    story.prescribe()
    return Prepared(
        lambda text: story.prescribe("lorazepam", "1", ack={"opioid-cns-depressant": text}),
        lambda: len(story.record.pending),
    )


# --- a client's record through the commands, in memory ------------------------------------


def _client(act: Callable[[alert_story.Story, str], object]) -> Prepared:
    story = alert_story.Story()
    return Prepared(lambda text: act(story, text), lambda: len(story.events()))


def check_in_in_error() -> Prepared:
    story = alert_story.Story()
    entry = story.check_in(craving=3)
    story.later(hours=1)

    def mark(text: str) -> object:
        return story.run(
            checkins.mark_entered_in_error(
                story.stamp(NURSE),
                client_id=story.client_id,
                entry_id=entry,
                reason=text,
                rules=story.rules,
            )
        )

    return Prepared(mark, lambda: len(story.events()))


def check_in_of_a_note() -> Prepared:
    return _client(lambda story, text: story.check_in(note=text))


def check_in_of_a_side_effect() -> Prepared:
    return _client(lambda story, text: story.check_in(side_effects=(text,)))


def care_team_membership_ended() -> Prepared:
    return _client(
        lambda story, text: story.run(
            end_membership(
                story.stamp(ADMIN),
                client_id=story.client_id,
                member_id=THERAPIST.id,
                reason=text,
                occurred_at=None,
            )
        )
    )


def treatment_goal() -> Prepared:
    return _client(
        lambda story, text: story.run(
            set_treatment_goal(story.stamp(THERAPIST), client_id=story.client_id, description=text)
        )
    )


def _on_alert(act: Callable[[alert_story.Story, UUID, str], object]) -> Prepared:
    story = alert_story.Story()
    story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 12))
    [alert] = story.alerts()
    return Prepared(lambda text: act(story, alert.alert_id, text), lambda: len(story.events()))


def alert_acknowledged() -> Prepared:
    return _on_alert(lambda story, alert, text: story.acknowledge(alert, text))


def alert_resolved() -> Prepared:
    return _on_alert(lambda story, alert, text: story.resolve(alert, text))


def _on_session(act: Callable[[alert_story.Story, UUID, str], object]) -> Prepared:
    story = alert_story.Story()
    session = story.session(Outcome.NO_SHOW)
    return Prepared(lambda text: act(story, session, text), lambda: len(story.events()))


def session_outcome_corrected() -> Prepared:
    return _on_session(
        lambda story, session, text: story.run(
            therapy.correct_outcome(
                story.stamp(THERAPIST),
                client_id=story.client_id,
                session_id=session,
                outcome=Outcome.ATTENDED,
                duration_minutes=35,
                reason=text,
                rules=story.rules,
            )
        )
    )


def session_note() -> Prepared:
    return _on_session(
        lambda story, session, text: story.run(
            therapy.record_session_note(
                story.stamp(THERAPIST), client_id=story.client_id, session_id=session, note=text
            )
        )
    )


def break_glass() -> Prepared:
    record = ConsentRecord(uuid4())
    stamp = Stamp(NURSE)
    return Prepared(
        lambda text: record.break_glass(
            stamp, access_id=uuid4(), reason=text * 12, on_care_team=False
        ),
        lambda: len(record.pending),
    )


# --- a site's stock through the commands, in memory ---------------------------------------


def _site() -> stock_story.Site:
    site = stock_story.Site()
    site.receive()
    return site


def waste_described() -> Prepared:
    site = _site()

    def waste(text: str) -> object:
        given = Waste("M-100", Decimal(5), WasteReason.SPILL, text, stock_story.WITNESS.id)
        return site.run(
            stock.waste(
                site.stamp(), site=stock_story.SITE, waste=given, ledger=site.ledger(),
                rules=DEFAULT_RULES,
            )
        )  # fmt: skip

    return Prepared(waste, lambda: len(site.events()))


def discrepancy_resolved() -> Prepared:
    site = _site()
    site.dose("M-100", "60")
    site.later(hours=9)
    site.count(("M-100", "10000"))
    [found] = site.events(StockDiscrepancyFound)

    def resolve(text: str) -> object:
        return site.run(
            stock.resolve(
                site.stamp(stock_story.DOCTOR), site=stock_story.SITE, alert_id=found.alert_id,
                resolution=Resolution.EXPLAINED, note=text, ledger=site.ledger(),
                rules=DEFAULT_RULES,
            )
        )  # fmt: skip

    return Prepared(resolve, lambda: len(site.events()))


def stock_entry_in_error() -> Prepared:
    site = stock_story.Site()
    receipt = site.receive()
    return Prepared(lambda text: site.in_error(receipt, reason=text), lambda: len(site.events()))


BLANK_REASON = (InvalidInput, "reason", "reason-required")
CASES = [
    Case("medication hold", hold, BLANK_REASON),
    Case("medication stop", stop, BLANK_REASON),
    Case("order in error", order_in_error, BLANK_REASON),
    Case("dose replacement", replacement, (InvalidInput, "reason", "replacement-reason")),
    Case("dose in error", dose_in_error, BLANK_REASON),
    Case("take-home in error", take_home_in_error, BLANK_REASON),
    Case("dose above the usual maximum", above_usual_maximum,
         (RuleViolation, "acknowledgements", ABOVE_USUAL)),
    Case("high-severity interaction", high_severity_interaction,
         (RuleViolation, "acknowledgements", "opioid-cns-depressant")),
    Case("check-in in error", check_in_in_error, BLANK_REASON),
    Case("check-in of a note alone", check_in_of_a_note,
         (InvalidInput, "input", "empty-check-in")),
    Case("check-in of a side effect alone", check_in_of_a_side_effect,
         (InvalidInput, "input", "empty-check-in")),
    Case("care team membership ended", care_team_membership_ended,
         (InvalidInput, "reason", "string_too_short")),
    Case("treatment goal", treatment_goal, (InvalidInput, "description", "goal-description")),
    Case("alert acknowledged", alert_acknowledged, (InvalidInput, "note", "note-required")),
    Case("alert resolved", alert_resolved, (InvalidInput, "note", "note-required")),
    Case("session outcome corrected", session_outcome_corrected,
         (InvalidInput, "reason", "correction-reason")),
    Case("session note", session_note, (InvalidInput, "note", "note-text")),
    Case("break glass", break_glass, (InvalidInput, "reason", "emergency-reason")),
    Case("waste", waste_described, (InvalidInput, "description", "waste-description")),
    Case("discrepancy resolved", discrepancy_resolved,
         (InvalidInput, "note", "resolution-note")),
    Case("stock entry in error", stock_entry_in_error, BLANK_REASON),
]  # fmt: skip


def refusal(case: Case, text: str) -> tuple[type[DomainError], str, str]:
    """How the command refuses ``text``, having recorded nothing."""
    prepared = case.prepare()
    before = prepared.recorded()
    with pytest.raises(DomainError) as refused:
        prepared.attempt(text)
    assert prepared.recorded() == before, "a refused command recorded nothing"
    return type(refused.value), refused.value.field, refused.value.rule


@pytest.mark.parametrize("text", SHOWS_NOTHING, ids=ascii)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_required_text_that_shows_nothing_is_refused_as_a_blank_one_is(
    case: Case, text: str
) -> None:
    assert refusal(case, BLANK) == case.refused
    assert refusal(case, text) == case.refused


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_text_that_says_something_is_recorded(case: Case) -> None:
    prepared = case.prepare()
    before = prepared.recorded()
    prepared.attempt(SAYS)
    assert prepared.recorded() > before


# --- the correction's own reason ---------------------------------------------------------

CORRECTIONS = [e for e in every_event().events if isinstance(e, EnteredInError)]


def _with_reason(event: EnteredInError, reason: str) -> bytes:
    """``event`` as the store would hold it had it been recorded with ``reason``."""
    return catalog.encode(event.model_copy(update={"reason": reason}))


def _facts(event: EnteredInError, reason: str) -> dict[str, Any]:
    facts = event.facts()
    facts["reason"] = reason
    return facts


@pytest.mark.parametrize("text", SHOWS_NOTHING, ids=ascii)
@pytest.mark.parametrize("event", CORRECTIONS, ids=lambda e: type(e).__name__)
def test_a_new_corrections_reason_that_shows_nothing_is_refused_as_an_empty_one(
    event: EnteredInError, text: str
) -> None:
    stamp = Stamp(DOCTOR)
    refused = []
    for reason in ("", text):
        with pytest.raises(InvalidInput) as invalid:
            stamp.event(type(event), event.client_id, None, **_facts(event, reason))
        refused.append((invalid.value.field, invalid.value.rule))
    assert refused == [("reason", "string_too_short")] * 2
    with pytest.raises(ValidationError):
        type(event).model_validate_json(_with_reason(event, text))


@pytest.mark.parametrize("event", CORRECTIONS, ids=lambda e: type(e).__name__)
def test_a_stored_correction_whose_reason_shows_nothing_stays_readable(
    event: EnteredInError,
) -> None:
    stored = _with_reason(event, "\u200b")
    read = catalog.decode(event.type, stored)
    assert isinstance(read, EnteredInError)
    assert (read.event_id, read.reason) == (event.event_id, "\u200b")
