"""Suspending a user's access: a program admin's decision, kept on the user's own record, and
the refusals that keep it one decision (not twice, not oneself, not back unless suspended)."""

from __future__ import annotations

import pytest

from carecoord.events import Actor, Role
from carecoord.events.users import UserReinstated, UserSuspended, user_record_id
from carecoord.services.kernel.errors import DomainError, Forbidden, InvalidInput
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.users.access import UserAccess, reinstate, suspend, user_named

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def record(user: str = "nurse-b") -> UserAccess:
    return UserAccess(user_record_id(user))


def refused(step: object, *args: object) -> DomainError:
    with pytest.raises(DomainError) as refusal:
        step(*args)  # type: ignore[operator]
    return refusal.value


def test_a_suspension_and_a_reinstatement_are_events_on_the_users_record() -> None:
    access = record()
    suspend(access, ADMIN, "nurse-b", "left the program on Friday", "OTP")
    assert access.suspended
    assert access.by == "admin-1"
    reinstate(access, ADMIN, "nurse-b", "rehired", "OTP")
    events = [r.event for r in access.collect_events()]
    assert [type(e) for e in events] == [UserSuspended, UserReinstated]
    assert {e.client_id for e in events} == {user_record_id("nurse-b")}
    suspended = events[0]
    assert isinstance(suspended, UserSuspended)
    assert suspended.reason == "left the program on Friday"
    assert suspended.program == "OTP"
    assert not access.suspended


def test_a_user_is_suspended_once_and_reinstated_only_when_suspended() -> None:
    access = record()
    assert refused(reinstate, access, ADMIN, "nurse-b", "by mistake", None).rule == "not-suspended"
    suspend(access, ADMIN, "nurse-b", "token stolen", None)
    again = refused(suspend, access, ADMIN, "nurse-b", "token stolen", None)
    assert (again.field, again.rule) == ("userId", "already-suspended")
    assert "admin-1" in again.message


def test_an_admin_cannot_suspend_themself() -> None:
    refusal = refused(suspend, record("admin-1"), ADMIN, "admin-1", "testing", None)
    assert isinstance(refusal, Forbidden)
    assert (refusal.field, refusal.rule) == ("userId", "not-self")


@pytest.mark.parametrize(
    ("reason", "rule"),
    [("   ", "reason-required"), ("x" * 501, "reason-length"), ("left\x00", "printable")],
)
def test_a_reason_is_required_bounded_printable_text(reason: str, rule: str) -> None:
    access = record()
    refusal = refused(suspend, access, ADMIN, "nurse-b", reason, None)
    assert isinstance(refusal, InvalidInput)
    assert (refusal.field, refusal.rule) == ("reason", rule)
    assert not access.pending


@pytest.mark.parametrize(
    ("user", "rule"),
    [(" ", "user-id"), ("system", "reserved-id"), ("nurse-\u0430nna", "unmistakable-id")],
)
def test_the_user_is_named_as_a_tokens_subject_a_person_may_have(user: str, rule: str) -> None:
    refusal = refused(user_named, user)
    assert (refusal.field, refusal.rule) == ("userId", rule)
    assert user_named(" nurse-b ") == "nurse-b"


def test_an_admin_of_one_program_reinstates_only_that_programs_suspensions() -> None:
    access = record()
    suspend(access, ADMIN, "nurse-b", "token stolen", "North OTP")
    other = refused(reinstate, access, ADMIN, "nurse-b", "back", "South OTP")
    assert (other.field, other.rule) == ("userId", "admin-program")
    reinstate(access, ADMIN, "nurse-b", "back", "North OTP")
    suspend(access, ADMIN, "nurse-b", "left", None)
    assert refused(reinstate, access, ADMIN, "nurse-b", "back", "North OTP").rule == "admin-program"
    reinstate(access, ADMIN, "nurse-b", "back", None)
    assert not access.suspended


def test_a_user_id_that_is_a_uuid_is_one_user_however_written() -> None:
    upper = "71A77D39-08F7-5F4D-AC1D-A6A77F9D59AC"
    assert user_named(f" {upper} ") == upper.lower()
    admin = Stamp(Actor(id=upper, role=Role.PROGRAM_ADMIN))
    refusal = refused(suspend, record(upper.lower()), admin, upper.lower(), "testing", None)
    assert refusal.rule == "not-self"
