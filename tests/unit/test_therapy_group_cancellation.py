"""A group session is one meeting: its leader or a program admin (for the program's
closure) cancels it for every member still booked in one command, all or nothing. Each
member's session reads cancelled with the reason and the leader's time is free. Before, it
was cancelled member by member, and the leader stayed booked until the last one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import pytest
from alert_story import ADMIN, THERAPIST, Story
from test_therapy_cancellation import cancel, cancellations
from test_therapy_therapist_double_booking import book, client, late_cancel

from carecoord.events import Actor
from carecoord.events.therapy import CancellationReason
from carecoord.services.kernel.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from carecoord.services.therapy import commands as therapy


def cancel_group(
    story: Story,
    session_id: UUID,
    members: Sequence[UUID],
    actor: Actor = THERAPIST,
    reason: CancellationReason = CancellationReason.CLINICIAN_UNAVAILABLE,
) -> None:
    story.run(
        therapy.cancel_group_session(
            story.stamp(actor), session_id=session_id, client_ids=members, reason=reason,
            note="room flooded",
        )
    )  # fmt: skip


def group(story: Story) -> tuple[UUID, list[UUID]]:
    members = [story.client_id, client(story), client(story)]
    return book(story, members, story.now + timedelta(days=2)), members


def test_the_meeting_is_cancelled_for_every_member_and_frees_its_leader() -> None:
    story = Story()
    session_id, members = group(story)
    story.later(hours=1)

    cancel_group(story, session_id, members)

    events = cancellations(story)
    assert {e.client_id for e in events} == set(members)
    assert {(e.session_id, e.reason, e.note, e.occurred_at) for e in events} == {
        (session_id, CancellationReason.CLINICIAN_UNAVAILABLE, "room flooded", story.now)
    }
    book(story, [client(story)], story.now + timedelta(days=1, hours=23))  # the leader's hour


def test_a_program_admin_cancels_it_for_the_programs_closure_only() -> None:
    story = Story()
    session_id, members = group(story)
    with pytest.raises(Forbidden) as refusal:
        cancel_group(story, session_id, members, ADMIN)
    assert (refusal.value.field, refusal.value.rule) == ("reason", "closure-only")

    cancel_group(story, session_id, members, ADMIN, CancellationReason.PROGRAM_CLOSURE)

    assert len(cancellations(story)) == 3


def test_a_member_left_out_is_named_and_nothing_is_recorded() -> None:
    story = Story()
    session_id, members = group(story)

    with pytest.raises(RuleViolation) as refusal:
        cancel_group(story, session_id, members[:2])
    with pytest.raises(RuleViolation) as admins:
        cancel_group(story, session_id, members[:2], ADMIN, CancellationReason.PROGRAM_CLOSURE)

    assert (refusal.value.field, refusal.value.rule) == ("clientIds", "every-member")
    assert str(members[2]) in refusal.value.message
    assert admins.value.rule == "every-member"
    assert not any(str(m) in admins.value.message for m in members), "no therapy to an admin"
    assert cancellations(story) == []


def test_members_cancelled_or_late_cancelled_already_are_not_named() -> None:
    story = Story()
    session_id, members = group(story)
    cancel(story, session_id, members[0])
    late_cancel(story, session_id, [members[1]])

    with pytest.raises(RuleViolation) as again:
        cancel_group(story, session_id, members[1:])
    assert (again.value.rule, len(cancellations(story))) == ("outcome-recorded", 1)
    cancel_group(story, session_id, members[2:])

    assert {e.client_id for e in cancellations(story)} == {members[0], members[2]}


def test_a_client_not_on_the_session_or_named_twice_cancels_nobody() -> None:
    story = Story()
    session_id, members = group(story)

    with pytest.raises(NotFound) as stranger:
        cancel_group(story, session_id, [*members, client(story)])
    with pytest.raises(InvalidInput) as twice:
        cancel_group(story, session_id, [*members, members[0]])

    assert (stranger.value.field, stranger.value.rule) == ("clientIds.3", "not-booked")
    assert (twice.value.field, twice.value.rule) == ("clientIds", "duplicate-client")
    assert cancellations(story) == []


def test_a_client_not_on_the_session_is_unknown_session_to_an_admin_who_reads_no_therapy() -> None:
    story = Story()
    session_id, members = group(story)

    with pytest.raises(NotFound) as stranger:
        cancel_group(
            story, session_id, [*members, client(story)], ADMIN,
            CancellationReason.PROGRAM_CLOSURE,
        )  # fmt: skip

    assert (stranger.value.field, stranger.value.rule) == ("sessionId", "unknown-session")
    assert cancellations(story) == []
