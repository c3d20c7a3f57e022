"""A program admin closes the program for a day or some hours: every session of its clients
beginning then and not yet begun is cancelled (program_closure), a group whole, and the
closure is recorded on the program's record with how many it cancelled. Before, the admin
could cancel only a session whose id they had, and they read no therapy entries to find one."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from alert_story import ADMIN, THERAPIST, Story
from test_therapy_cancellation import cancel, cancellations
from test_therapy_therapist_double_booking import book, client, late_cancel

from carecoord.events.care import ClientEnrolled
from carecoord.events.therapy import CancellationReason, ProgramClosed, program_id
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.errors import InvalidInput, RuleViolation, Unavailable
from carecoord.services.therapy import closure
from carecoord.services.therapy.closure import Closure, Span

DAY = timedelta(days=1)


def close(story: Story, span: Span, note: str = "snowstorm") -> Closure:
    """The closure as the API runs it: declared, each client's transaction, then the
    record."""
    stamp = story.stamp(ADMIN)
    story.run(closure.declare_closure(stamp, program="OTP", span=span))
    enrolled = [e.client_id for e in story.events() if isinstance(e, ClientEnrolled)]
    cancelled = closure.settled(
        [
            story.run(
                closure.cancel_within(stamp, client_id=c, program="OTP", span=span, note=note)
            )
            for c in enrolled
        ]
    )
    return story.run(
        closure.record_closure(stamp, program="OTP", span=span, note=note, cancelled=cancelled)
    )


def tomorrow(story: Story) -> Span:
    starts = story.now.replace(hour=0, minute=0, second=0, microsecond=0) + DAY
    return Span(starts, starts + DAY)


def test_every_session_of_the_day_is_cancelled_a_group_once_and_the_closure_recorded() -> None:
    story = Story()
    day = tomorrow(story)
    others = [client(story), client(story)]
    alone = book(story, [story.client_id], day.starts + timedelta(hours=9))
    group = book(story, others, day.starts + timedelta(hours=11))
    late = book(story, [others[0]], day.starts + timedelta(hours=14))
    late_cancel(story, late, [others[0]])
    after = book(story, [story.client_id], day.ends)  # the next day's first hour
    before = book(story, [others[1]], day.starts - timedelta(hours=1))

    closed = close(story, day)

    assert (closed.sessions, closed.clients) == (2, 3)
    assert {(e.session_id, e.client_id) for e in cancellations(story)} == {
        (alone, story.client_id), (group, others[0]), (group, others[1]),
    }  # fmt: skip
    assert {(e.reason, e.note, e.actor) for e in cancellations(story)} == {
        (CancellationReason.PROGRAM_CLOSURE, "snowstorm", ADMIN)
    }
    [recorded] = [e for e in story.events() if isinstance(e, ProgramClosed)]
    assert (recorded.client_id, recorded.closed_from, recorded.closed_until) == (
        program_id("OTP"), day.starts, day.ends,
    )  # fmt: skip
    assert (recorded.sessions_cancelled, recorded.clients_cancelled, recorded.actor) == (
        2,
        3,
        ADMIN,
    )
    assert recorded.event_id == closed.id
    assert after not in {e.session_id for e in cancellations(story)}
    assert before not in {e.session_id for e in cancellations(story)}


def test_sent_again_it_cancels_what_is_left_and_nothing_twice() -> None:
    story = Story()
    day = tomorrow(story)
    first = book(story, [story.client_id], day.starts + timedelta(hours=9))
    second = book(story, [client(story)], day.starts + timedelta(hours=10))
    stamp = story.stamp(ADMIN)
    # cut short: declared, one client's transaction done, the closure not recorded
    story.run(closure.declare_closure(stamp, program="OTP", span=day))
    story.run(
        closure.cancel_within(stamp, client_id=story.client_id, program="OTP", span=day, note="")
    )

    again = close(story, day)
    once_more = close(story, day)

    assert [e.session_id for e in cancellations(story)] == [first, second]
    assert (again.sessions, again.clients) == (1, 1)
    assert (once_more.id, once_more.sessions, once_more.clients) == (again.id, 0, 0)
    assert len([e for e in story.events() if isinstance(e, ProgramClosed)]) == 1


def test_a_session_begun_cancelled_or_of_another_program_is_left() -> None:
    story = Story()
    story.later(hours=3)
    now_on = Span(story.now - timedelta(hours=2), story.now + DAY)
    begun = book(story, [story.client_id], story.now - timedelta(hours=1))
    cancelled = book(story, [story.client_id], story.now + timedelta(hours=3))
    cancel(story, cancelled)
    elsewhere = story.run(
        enroll_client(story.stamp(ADMIN), display_name="Lee", program="North OTP")
    )
    story.join(elsewhere, THERAPIST)
    theirs = book(story, [elsewhere], story.now + timedelta(hours=8))
    starting_now = book(story, [story.client_id], story.now + timedelta(hours=6))
    story.later(hours=6)  # it begins as the closure is sent

    closed = close(story, now_on)

    assert (closed.sessions, closed.clients) == (0, 0)
    assert [e.session_id for e in cancellations(story)] == [cancelled]
    assert {begun, theirs, starting_now}.isdisjoint(e.session_id for e in cancellations(story))


@pytest.mark.parametrize(
    ("hours_from", "hours_until", "note", "field", "rule"),
    [
        (10, 9, "", "until", "until-after-from"),
        (10, 10, "", "until", "until-after-from"),
        (1, 1 + 24 * 7 + 1, "", "until", "closure-span"),
        (-30, -2, "", "until", "closure-over"),
        (24 * 367, 24 * 368, "", "from", "booking-horizon"),
        (1, 5, "x" * 501, "note", "closure-note"),
        (1, 5, "closed\x00", "note", "closure-note"),
    ],
)
def test_a_span_or_note_no_closure_takes_is_refused_naming_it(
    hours_from: int, hours_until: int, note: str, field: str, rule: str
) -> None:
    story = Story()
    with pytest.raises(InvalidInput) as refusal:
        closure.closure_span(
            story.stamp(ADMIN),
            story.now + timedelta(hours=hours_from),
            story.now + timedelta(hours=hours_until),
            note,
        )
    assert (refusal.value.field, refusal.value.rule) == (field, rule)
    if rule == "until-after-from":  # it read "until is after from", as if that were so
        assert " must be after from (" in refusal.value.message
    if rule == "closure-note":  # it read "note: is 501 characters long", "note: holds ..."
        assert refusal.value.message.startswith(("note is 501 ", "note holds the control"))


def test_a_client_whose_transaction_was_refused_refuses_the_closure_naming_no_session() -> None:
    """The others' cancellations stand; the closure is sent again, not recorded half."""
    done = frozenset({(uuid4(), uuid4())})
    session = uuid4()
    refusal = RuleViolation("sessionId", "cancelled-before-start", f"session {session} began")

    with pytest.raises(Unavailable) as cut:
        closure.settled([done, refusal, done])

    assert (cut.value.field, cut.value.rule) == ("program", "closure-cut-short")
    assert "1 of 3 clients" in cut.value.message
    assert "cancelled-before-start" in cut.value.message
    assert str(session) not in cut.value.message
    assert closure.settled([done, frozenset()]) == done
