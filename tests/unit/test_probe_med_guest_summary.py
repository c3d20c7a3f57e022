"""What the guest site is told to dose by covers the whole stay: an order on hold was told
as an order to dose by, with no word of the hold; a dose change or taper step falling inside
the stay was told as the new dose from the first day (or the first dose only)."""

from __future__ import annotations

from datetime import timedelta

from medication_story import Story, day

from carecoord.services.medication.dispensing import guest_dosing_summary


def test_an_order_on_hold_is_told_as_on_hold() -> None:
    story = Story()
    order = story.prescribe()
    story.dose(order, day(1))
    story.hold(order, "intoxicated")

    told = guest_dosing_summary(story.record, day(2), day(6))

    assert told.startswith("Orders to dose by: methadone 60 mg oral")
    assert "ON HOLD since 2026-01-01: do not dose" in told
    assert f"(order {order}, last dose here 2026-01-01)" in told


def test_a_dose_change_inside_the_stay_is_told_with_its_day() -> None:
    story = Story()
    order = story.prescribe()
    new = story.change(order, "80", day(4))

    told = guest_dosing_summary(story.record, day(2), day(6))

    assert f"methadone 60 mg oral 1x every 1 day(s) to 2026-01-03 (order {order})" in told
    assert f"methadone 80 mg oral 1x every 1 day(s) from 2026-01-04 (order {new})" in told


def test_taper_steps_inside_the_stay_are_told() -> None:
    story = Story()
    order = story.prescribe()
    taper = story.taper(order, [(day(2), "50"), (day(4), "40"), (day(20), "30")])

    told = guest_dosing_summary(story.record, day(2), day(6))

    assert (
        f"methadone 50 mg oral 1x every 1 day(s), then 40 mg from 2026-01-04 (order {taper})"
        in (told)
    )
    assert "30 mg" not in told


def test_a_long_daily_taper_over_a_long_stay_is_told_in_short() -> None:
    story = Story()
    order = story.prescribe(dose="100")
    steps = [(day(2) + timedelta(days=n), str(99 - n)) for n in range(60)]
    taper = story.taper(order, steps)

    told = guest_dosing_summary(story.record, day(2), day(70))

    assert len(told) <= 1000
    assert f"then 59 dose steps to 40 mg from 2026-03-02 (each on order {taper})" in told


def test_a_dose_is_told_as_its_number() -> None:
    """An order written "60.000000000000" was told as such to the guest site's nurse."""
    story = Story()
    story.prescribe(dose="60.000000000000")

    told = guest_dosing_summary(story.record, day(2), day(6))

    assert told.startswith("Orders to dose by: methadone 60 mg oral")
