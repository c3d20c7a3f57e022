"""The alert rules count the program's days (``program_time_zone``), as the dosing day does.

A screen is "while on methadone" if the order is in force on the program's day the screen was
collected, and a withdrawal score is "in maintenance" by the program's days since the first
dose (its dosing day). The rules counted UTC days: in Los Angeles a screen collected at 17:30
on an order's last day was on the next day's orders (no alert), one collected the evening
before an order's first day was on it (an alert); in Kolkata, at 03:00 on an order's first
day, it was on the day before. The rows that count days are version 3; their version 2 alerts
stand after the upgrade, under the same ids, and are not raised again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from alert_story import Story, answers_totalling

from carecoord.events.alerts import AlertRaised
from carecoord.events.checkins import Instrument
from carecoord.services.alerts.replay import replay
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, UTC_ZONE, AlertRules
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.runtime.program import load_program

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
SCREEN_ROWS = ["screen-depressant-on-agonist", "screen-negative-for-agonist"]
DAY_ROWS = frozenset({"cows-maintenance", *SCREEN_ROWS})
"""The rows that count days: version 3 counts the program's, version 2 counted UTC's."""
NOW_AT = {
    "screen-depressant-on-agonist": "6",
    "screen-negative-for-agonist": "4",
    "cows-maintenance": "4",
}
"""Their versions now: 4 also leaves a held order out (``test_alerts_held_orders.py``), or
of screen-depressant-on-agonist reads reported use and barbiturates, and its 5 zolpidem
(``test_alerts_rules.py``)."""
ON_METHADONE_BUT_NONE_IN_IT = {
    "benzodiazepines": "positive", "methadone": "negative", "eddp": "negative",
}  # fmt: skip


def local(zone: ZoneInfo, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of 2026 on the program's clock, as the API stores it (in UTC)."""
    return datetime(2026, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def story_in(zone: ZoneInfo, rules: AlertRules | None = None) -> Story:
    """A client of a program in ``zone``: the alert rules and the dosing day both there."""
    table = DEFAULT_ALERT_RULES.in_zone(zone) if rules is None else rules
    return Story(table, MedicationRules(zone=zone))


def at(story: Story, moment: datetime) -> Story:
    """The story's clock a day before ``moment``: its next step happens then (see Story)."""
    story.now = moment - timedelta(days=1)
    return story


def screened(story: Story, collected: datetime) -> list[AlertRaised]:
    """The alerts a screen collected at ``collected`` (entered an hour later) raises."""
    before = len(story.alerts())
    at(story, collected + timedelta(hours=1)).screen(at=collected, **ON_METHADONE_BUT_NONE_IN_IT)
    return story.alerts()[before:]


@pytest.mark.parametrize(
    ("zone", "start", "end", "collected", "on_methadone"),
    [
        # Los Angeles, UTC-8 in January: 17:30 there is 01:30 UTC the next day.
        (LOS_ANGELES, date(2026, 1, 6), date(2026, 1, 9), local(LOS_ANGELES, 1, 9, 17, 30), True),
        (LOS_ANGELES, date(2026, 1, 10), None, local(LOS_ANGELES, 1, 9, 17, 30), False),
        (LOS_ANGELES, date(2026, 1, 10), None, local(LOS_ANGELES, 1, 10, 0, 15), True),
        # Kolkata, UTC+5:30: 03:00 there is 21:30 UTC the day before.
        (KOLKATA, date(2026, 1, 10), None, local(KOLKATA, 1, 10, 3), True),
        (KOLKATA, date(2026, 1, 6), date(2026, 1, 9), local(KOLKATA, 1, 10, 3), False),
        (KOLKATA, date(2026, 1, 6), date(2026, 1, 9), local(KOLKATA, 1, 9, 23, 45), True),
        # Los Angeles falls back on 1 November (a 25-hour day): 23:30 is 07:30 UTC on the 2nd.
        (LOS_ANGELES, date(2026, 10, 26), date(2026, 11, 1), local(LOS_ANGELES, 11, 1, 23, 30),
         True),
        (LOS_ANGELES, date(2026, 10, 26), date(2026, 11, 1), local(LOS_ANGELES, 11, 2, 0, 30),
         False),
        # ... and springs forward on 8 March (23 hours): 23:30 is 06:30 UTC on the 9th.
        (LOS_ANGELES, date(2026, 3, 9), None, local(LOS_ANGELES, 3, 8, 23, 30), False),
        (LOS_ANGELES, date(2026, 3, 9), None, local(LOS_ANGELES, 3, 9, 0, 15), True),
    ],
    ids=["la-last-day-1730", "la-eve-of-first-day", "la-first-day-0015", "kolkata-first-day-0300",
         "kolkata-day-after-last-0300", "kolkata-last-day-2345", "la-fall-back-last-day-2330",
         "la-fall-back-day-after-0030", "la-spring-forward-eve-2330", "la-spring-forward-0015"],
)  # fmt: skip
def test_a_screen_is_on_the_orders_of_the_programs_day_it_was_collected(
    zone: ZoneInfo, start: date, end: date | None, collected: datetime, on_methadone: bool
) -> None:
    story = story_in(zone)
    the_day_before = datetime.combine(start - timedelta(days=1), time(), zone)
    story.now = max(story.now, the_day_before)  # prescribed ahead, once enrolled
    story.prescribe("methadone", start=start, end=end)

    raised = screened(story, collected)

    assert sorted(a.rule_id for a in raised) == (SCREEN_ROWS if on_methadone else [])
    assert all(a.rule_version == NOW_AT[a.rule_id] for a in raised)
    assert all(a.occurred_at == collected for a in raised)


@pytest.mark.parametrize(
    ("zone", "first_dose", "taken", "in_maintenance"),
    [
        # Seven program days after the first dose's dosing day, not seven UTC days.
        (LOS_ANGELES, local(LOS_ANGELES, 1, 6, 9), local(LOS_ANGELES, 1, 12, 17, 30), False),
        (LOS_ANGELES, local(LOS_ANGELES, 1, 6, 9), local(LOS_ANGELES, 1, 13, 7), True),
        (KOLKATA, local(KOLKATA, 1, 6, 10), local(KOLKATA, 1, 13, 3), True),
        (KOLKATA, local(KOLKATA, 1, 6, 10), local(KOLKATA, 1, 12, 23, 30), False),
        # Across the fall-back day: 26 October to 2 November is seven days, one of 25 hours.
        (LOS_ANGELES, local(LOS_ANGELES, 10, 26, 9), local(LOS_ANGELES, 11, 1, 23, 30), False),
        (LOS_ANGELES, local(LOS_ANGELES, 10, 26, 9), local(LOS_ANGELES, 11, 2, 0, 30), True),
    ],
    ids=["la-day-6-1730", "la-day-7-0700", "kolkata-day-7-0300", "kolkata-day-6-2330",
         "la-fall-back-day-6-2330", "la-fall-back-day-7-0030"],
)  # fmt: skip
def test_maintenance_is_counted_in_the_programs_days_since_the_first_dose(
    zone: ZoneInfo, first_dose: datetime, taken: datetime, in_maintenance: bool
) -> None:
    story = story_in(zone)
    story.now = first_dose
    story.dose(story.prescribe("methadone"))

    at(story, taken + timedelta(hours=1))
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 14), at=taken)

    assert story.fired() == (["cows-maintenance"] if in_maintenance else [])
    assert [a.rule_version for a in story.alerts()] == (["4"] if in_maintenance else [])


def test_in_utc_the_days_are_utcs_as_before() -> None:
    """The default zone is UTC: a program that sets none counts as version 2 did."""
    story = story_in(UTC_ZONE)
    at(story, datetime(2026, 1, 9, tzinfo=UTC))
    story.prescribe("methadone", start=date(2026, 1, 10))
    assert screened(story, local(LOS_ANGELES, 1, 9, 17, 30)) != [], "01:30 UTC on the 10th"


def test_replay_counts_the_programs_days_as_the_commands_did() -> None:
    story = story_in(LOS_ANGELES)
    at(story, local(LOS_ANGELES, 1, 6, 8))
    story.prescribe("methadone", start=date(2026, 1, 6), end=date(2026, 1, 9))
    screened(story, local(LOS_ANGELES, 1, 9, 17, 30))
    recorded = story.alerts()
    assert recorded

    assert replay(DEFAULT_ALERT_RULES.in_zone(LOS_ANGELES), story.events()) == recorded
    assert replay(DEFAULT_ALERT_RULES, story.events()) == [], "on UTC days: the 10th"


def legacy_table() -> AlertRules:
    """The table before the program's day: the same rows, on UTC days, version 2."""
    return AlertRules(
        tuple(replace(r, version="2") if r.id in DAY_ROWS else r for r in DEFAULT_ALERT_RULES.rules)
    )


def test_an_alert_raised_before_the_upgrade_stands_and_is_not_raised_again() -> None:
    """An alert's id is its trigger's and its row's, whatever the version or the zone: the
    version 2 alerts keep their ids, the new table names the same alert for the same trigger,
    and only what is recorded after the upgrade raises version 3 alerts."""
    story = story_in(LOS_ANGELES, legacy_table())
    at(story, local(LOS_ANGELES, 1, 8, 8))
    story.prescribe("methadone", start=date(2026, 1, 10))
    early = screened(story, local(LOS_ANGELES, 1, 9, 17, 30))  # UTC's 10th: "on methadone"
    agreed = screened(story, local(LOS_ANGELES, 1, 11, 9))  # on methadone on any clock
    before = story.events()
    assert [(a.rule_id, a.rule_version) for a in early + agreed] == [
        (rule, "2") for rule in SCREEN_ROWS * 2
    ]

    story.rules = DEFAULT_ALERT_RULES.in_zone(LOS_ANGELES)  # the upgrade
    story.acknowledge(early[0].alert_id, "called; the screen was the evening before")
    after = screened(story, local(LOS_ANGELES, 1, 12, 9))
    story.check_in(craving=20)

    ids = [a.alert_id for a in story.alerts()]
    assert len(ids) == len(set(ids)) == 6, "each alert raised once"
    assert story.alerts()[:4] == early + agreed, "the version 2 alerts stand as recorded"
    assert [a.rule_version for a in after] == [NOW_AT[rule] for rule in SCREEN_ROWS]
    # The same trigger names the same alert under the new table (only the version differs),
    # so were it ever evaluated again it would be the recorded alert, not a second one.
    again = replay(DEFAULT_ALERT_RULES.in_zone(LOS_ANGELES), before)
    assert [a.alert_id for a in again] == [a.alert_id for a in agreed]
    assert [replace_version(a) for a in again] == [replace_version(a) for a in agreed]
    # An audit with the table of the time gives what was raised; the new table shows the
    # alert of the evening before is one it would not raise.
    assert replay(legacy_table(), before) == early + agreed


def replace_version(alert: AlertRaised) -> AlertRaised:
    return alert.model_copy(update={"rule_version": "-"})


def test_the_program_table_takes_the_settings_time_zone() -> None:
    settings = Settings(program_time_zone="Asia/Kolkata")
    table = load_program(None).alerts.table_for(settings)
    assert table.zone == KOLKATA
    assert table.rules == DEFAULT_ALERT_RULES.rules
    assert table.without("phq9-item9").with_rules().zone == KOLKATA, "kept through changes"
    assert table.day_of(local(KOLKATA, 1, 10, 3)) == date(2026, 1, 10)
    assert {r.id: r.version for r in table.rules if r.id in DAY_ROWS} == NOW_AT
