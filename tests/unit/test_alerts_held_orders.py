"""An order on hold is prescribed but not given, and each alert row that reads the agonist
orders decides what that means for it.

A screen negative for methadone while methadone is held is what the hold leads to, not a sign
of diversion; withdrawal in maintenance while the order is held is the hold's doing, not a
dose too low. Those rows (version 4) no longer count a held order, unless a dose of it was
given or taken home for that day or the day before (it still shows). The rows about the
drug's risks (a depressant on an agonist, the QTc on methadone) count it as before: the drug
outlasts a hold, and resuming is the decision they inform."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alert_story import Story, answers_totalling
from medication_story import Story as DosingStory
from medication_story import at, day

from carecoord.events.checkins import Instrument
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES
from carecoord.services.medication.orders import Order
from carecoord.services.medication.rules import DEFAULT_RULES

UTC_DAY = DEFAULT_RULES.day_of


def test_a_screen_negative_for_methadone_while_it_is_held_is_not_a_diversion_signal() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.dose(order)
    story.later(days=2)
    story.hold(order)

    story.screen(methadone="negative", eddp="negative")
    assert story.fired() == [], "held: no dose is given, none is expected in the screen"

    story.resume(order)
    story.screen(methadone="negative", eddp="negative")
    [alert] = story.alerts()
    assert (alert.rule_id, alert.rule_version) == ("screen-negative-for-agonist", "4")
    assert alert.detail == "negative for prescribed methadone"


def test_a_screen_goes_by_the_hold_when_it_was_collected() -> None:
    """Collected while held and entered after the order was resumed: no alert. Collected
    before the hold and entered during it: the client was on methadone then."""
    story = Story()
    order = story.prescribe("methadone")
    story.dose(order)
    before_hold = story.later(days=1)
    story.later(hours=2)
    story.hold(order)
    while_held = story.later(days=1)
    story.screen(at=before_hold, methadone="negative", eddp="negative")
    assert story.fired() == ["screen-negative-for-agonist"]

    story.resume(order)
    story.screen(at=while_held, methadone="negative", eddp="negative")
    assert story.fired() == ["screen-negative-for-agonist"], "no second alert"


def test_benzodiazepines_while_the_agonist_is_held_still_raise_the_overdose_review() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.dose(order)
    story.later(days=2)
    story.hold(order)

    story.screen(benzodiazepines="positive", methadone="negative", eddp="negative")

    [alert] = story.alerts()
    assert (alert.rule_id, alert.rule_version) == ("screen-depressant-on-agonist", "6")
    assert alert.detail == "positive for benzodiazepines while on methadone"


def test_withdrawal_while_the_order_is_held_is_no_dose_adequacy_review() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.dose(order)
    story.later(days=10)
    story.hold(order)

    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 20))
    assert story.fired() == [], "withdrawal from the hold, not a dose too low"

    story.resume(order)
    story.dose(order, amount=Decimal(50))  # ten days without: a restart, held to the cap
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 20))
    [alert] = story.alerts()
    assert (alert.rule_id, alert.rule_version) == ("cows-maintenance", "4")


def test_the_qtc_rows_count_a_held_methadone_order() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.hold(order)

    story.vitals(qtc_ms=520)

    assert story.fired() == ["qtc-methadone-critical"]


def test_the_rows_that_read_whether_the_agonist_was_taken_are_version_4() -> None:
    versions = {r.id: r.version for r in DEFAULT_ALERT_RULES.rules}
    assert versions["cows-maintenance"] == "4"
    assert versions["screen-negative-for-agonist"] == "4"
    # Its version 4 reads reported use and barbiturates, 5 zolpidem, 6 leaves out what a
    # prescription explains; a held order counts.
    assert versions["screen-depressant-on-agonist"] == "6"
    # A held order counts for the QTc rows as before (their version 3 reads a QTc in error).
    assert versions["qtc-methadone-critical"] == versions["qtc-methadone-prolonged"] == "3"


def held_on_day_10(take_homes: tuple[date, int] | None = None) -> Order:
    """Methadone observed at the window on days 1 to 9, with take-home bottles for
    ``(first day, days)`` handed over on day 9, and the order held on day 10 at 08:00."""
    story = DosingStory()
    order_id = story.prescribe()
    story.eligible(7)
    for n in range(1, 10):
        story.dose(order_id, day(n))
    if take_homes is not None:
        story.take_home(order_id, day(9), *take_homes)
    story.now = at(day(10), 8)
    story.hold(order_id, "intoxicated at the window")
    return story.record.orders[order_id]


def test_a_held_order_is_taken_the_day_after_its_last_dose_and_not_later() -> None:
    """Yesterday's dose still shows in a screen today; a dose two days back is not counted."""
    order = held_on_day_10()
    assert order.taken_at(at(day(10), 7), UTC_DAY), "before the hold"
    assert order.taken_at(at(day(10), 15), UTC_DAY), "dosed on day 9"
    assert not order.taken_at(at(day(11), 15), UTC_DAY), "nothing given since day 9"
    assert order.in_force_at(at(day(11), 15), UTC_DAY), "still prescribed"


def test_take_home_bottles_for_the_days_of_the_hold_count_as_doses() -> None:
    order = held_on_day_10(take_homes=(day(10), 3))
    assert order.taken_at(at(day(12), 15), UTC_DAY), "a bottle for day 12 at home"
    assert order.taken_at(at(day(13), 15), UTC_DAY), "the bottle for day 12 still shows"
    assert not order.taken_at(at(day(14), 15), UTC_DAY)


def test_a_screen_the_day_after_a_dose_given_before_the_hold_is_still_read() -> None:
    """Dosed, then held the same day: yesterday's dose should show in today's screen, so a
    screen without it is still the adherence and diversion review's business."""
    story = Story()
    order = story.prescribe("methadone")
    story.dose(order)
    story.later(hours=2)
    story.hold(order)

    story.screen(methadone="negative", eddp="negative")

    assert story.fired() == ["screen-negative-for-agonist"]
