"""A client back after 5 or more days with no methadone given or in hand has lost tolerance:
the first dosing day after the gap is held to the initial-dose cap again, unless the order
carries the prescriber's acknowledgement of methadone-initial-dose given after the gap, and
take-homes wait for eligibility determined again from that day."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from medication_story import Story, at, day

from carecoord.events.medication import DoseAdministered, OverrideAcknowledged, TakeHomeDispensed
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing, prescribing
from carecoord.services.medication.eligibility import TAKE_HOME_RESTART
from carecoord.services.medication.induction import INITIAL_DOSE

RATIONALE = "seen today: used heroin daily while away, tolerance assessed"


def maintained() -> tuple[Story, UUID]:
    """On 80 mg since day 1 (the first dose acknowledged then), dosed days 1 to 3."""
    story = Story()
    order = story.prescribe("methadone", "80", induction="tolerant: 80 mg/day elsewhere")
    for n in (1, 2, 3):
        story.dose(order, day(n), "80")
    return story, order


def test_the_first_day_after_5_days_without_is_held_to_the_cap() -> None:
    """The acknowledgement the order carries from the first induction does not carry over."""
    story, order = maintained()
    story.on(day(9))
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(9), "80")  # days 4 to 8 without methadone

    assert (refused.value.field, refused.value.rule) == ("amount", INITIAL_DOSE)
    assert refused.value.details == {"daysMissed": 5}
    assert "2026-01-09 is the client's first dosing day of methadone (again after 5 days" in (
        refused.value.message
    )
    assert "no acknowledgement of rule 'methadone-initial-dose' given after 2026-01-03" in (
        refused.value.message
    )
    assert "at most 50 mg more" in refused.value.message
    story.dose(order, day(9), "50")
    story.dose(order, day(10), "80")  # not the first day
    assert len(story.events(DoseAdministered)) == 5


def test_four_days_without_is_the_missed_dose_holds_not_a_restart() -> None:
    story, order = maintained()
    story.on(day(8))
    story.dose(order, day(8), "80")  # days 4 to 7 without methadone
    assert len(story.events(DoseAdministered)) == 4


def test_a_dose_change_after_the_gap_needs_the_acknowledgement_and_then_lifts_the_cap() -> None:
    story, order = maintained()
    story.on(day(10))
    with pytest.raises(RuleViolation) as refused:
        story.change(order, "70", day(10), induction=None)
    assert (refused.value.field, refused.value.rule) == ("acknowledgements", INITIAL_DOSE)
    assert refused.value.details == {"daysMissed": 6}
    assert "for a client in induction (again after 6 days without it: 5 or more are" in (
        refused.value.message
    )
    assert len(story.events(OverrideAcknowledged)) == 1  # the first induction's only

    changed = story.change(order, "70", day(10), induction=RATIONALE)

    [override] = [o for o in story.events(OverrideAcknowledged) if o.reason == RATIONALE]
    assert (override.rule_id, override.rule_version, override.order_id) == (
        INITIAL_DOSE,
        "2024-04-02+restart:1",
        changed,
    )
    story.dose(changed, day(10), "70")


def test_a_change_within_the_cap_or_before_the_gap_reaches_5_days_is_not_asked() -> None:
    """Written on the fourth day without, for a start two days on: the window holds that day."""
    story, order = maintained()
    story.on(day(10))
    story.change(order, "40", day(10), induction=None)
    early, again = maintained()
    early.on(day(7))
    later = early.change(again, "75", day(9), induction=None)
    early.on(day(9))
    with pytest.raises(RuleViolation) as refused:
        early.dose(later, day(9), "75")
    assert refused.value.details == {"daysMissed": 5}
    assert [o.reason for o in story.events(OverrideAcknowledged) + early.events(
        OverrideAcknowledged)] == ["tolerant: 80 mg/day elsewhere"] * 2  # fmt: skip


def test_take_home_bottles_and_guest_dosing_are_methadone_in_hand() -> None:
    story, order = maintained()
    story.eligible(7)
    story.take_home(order, day(3), day(4), 3)  # days 4 to 6
    story.on(day(11))
    story.dose(order, day(11), "80")  # days 7 to 10 without: 4
    dispensing.arrange_guest_dosing(
        story.record, story.stamp(), guest_dosing_id=uuid4(), site="Harbor OTP",
        start=day(12), end=day(20), occurred_at=at(day(11)),
    )  # fmt: skip
    story.on(day(21))
    story.dose(order, day(21), "80")  # back from guest dosing
    assert len(story.events(DoseAdministered)) == 5


def test_a_resume_after_the_gap_may_acknowledge_the_first_day_back() -> None:
    """Held after the missed days, resumed: without the acknowledgement the window holds the
    day to the cap; with it, recorded as an override on the order, the full dose is given."""
    story, order = maintained()
    story.on(day(10))
    story.hold(order, "missed doses")
    prescribing.resume(story.record, story.stamp(), story.rules, order, "assessed", {})
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(10), "80")
    assert refused.value.details == {"daysMissed": 6}

    again, held = maintained()
    again.on(day(10))
    again.hold(held, "missed doses")
    prescribing.resume(
        again.record, again.stamp(), again.rules, held, "assessed", {INITIAL_DOSE: RATIONALE}
    )

    [override] = [o for o in again.events(OverrideAcknowledged) if o.reason == RATIONALE]
    assert (override.rule_version, override.order_id, override.attempted.action) == (
        "2024-04-02+restart:1",
        held,
        "resume",
    )
    again.dose(held, day(10), "80")


def test_a_resume_before_the_gap_reaches_5_days_records_no_override() -> None:
    story, order = maintained()
    story.on(day(7))
    story.hold(order, "missed doses")
    prescribing.resume(story.record, story.stamp(), story.rules, order, "seen", {INITIAL_DOSE: "x"})
    assert len(story.events(OverrideAcknowledged)) == 1  # the first induction's only


def test_take_homes_wait_after_a_restart_for_eligibility_determined_again() -> None:
    """The determination from before the gap, or made during it, does not stand for the new
    induction: refused naming days and take-home-restart, recording nothing, until a
    prescriber determines eligibility on the day back or later."""
    story, order = maintained()
    story.eligible(7)
    story.on(day(7))
    story.eligible(7)  # while away: not yet a restart
    story.on(day(10))
    story.dose(order, day(10), "50")  # days 4 to 9 without methadone
    story.on(day(11))
    with pytest.raises(RuleViolation) as refused:
        story.take_home(order, day(11), day(12), 2)

    assert (refused.value.field, refused.value.rule) == ("days", TAKE_HOME_RESTART)
    assert refused.value.details == {"daysMissed": 6}
    assert "2026-01-10 is the client's first dosing day of methadone again after 6 days" in (
        refused.value.message
    )
    assert "determines take-home eligibility on 2026-01-10 or later" in refused.value.message
    assert "the one in force was determined 2026-01-07" in refused.value.message
    assert story.events(TakeHomeDispensed) == []

    story.eligible(2)
    story.take_home(order, day(11), day(12), 2)
    assert len(story.events(TakeHomeDispensed)) == 1


def test_a_take_home_on_the_day_back_is_the_restart_itself() -> None:
    story, order = maintained()
    story.eligible(7)
    story.on(day(10))
    with pytest.raises(RuleViolation) as refused:
        story.take_home(order, day(10), day(11), 2)
    assert (refused.value.rule, refused.value.details) == (TAKE_HOME_RESTART, {"daysMissed": 6})


def test_four_days_without_leave_take_homes_to_the_eligibility_in_force() -> None:
    story, order = maintained()
    story.eligible(7)
    story.on(day(8))
    story.dose(order, day(8), "80")  # days 4 to 7 without methadone
    story.take_home(order, day(8), day(9), 2)
    assert len(story.events(TakeHomeDispensed)) == 1


def test_a_restart_long_past_still_waits_for_a_determination_since() -> None:
    """Maintained again for weeks after the restart: the old determination still does not
    stand, one made after the day back does."""
    story, order = maintained()
    story.eligible(7)
    story.on(day(10))
    story.dose(order, day(10), "50")
    for n in range(11, 40):
        story.dose(order, day(n), "80")
    story.on(day(40))
    with pytest.raises(RuleViolation) as refused:
        story.take_home(order, day(40), day(41), 2)
    assert (refused.value.rule, refused.value.details) == (TAKE_HOME_RESTART, {"daysMissed": 6})
    story.on(day(20))
    story.eligible(7)
    story.on(day(40))
    story.take_home(order, day(40), day(41), 2)
    assert len(story.events(TakeHomeDispensed)) == 1
