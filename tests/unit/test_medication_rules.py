"""The rule tables as data, and missed-dose detection as a pure, idempotent rule."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events import Actor, Role
from carecoord.events.medication import DoseMissed, NotGivenReason, OrderHeld
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing, prescribing
from carecoord.services.medication.dispensing import NotGiven
from carecoord.services.medication.formulary import DEFAULT_MEDICATIONS
from carecoord.services.medication.interactions import DEFAULT_RULES, Entry, RuleTable
from carecoord.services.medication.missed import MissedDoseRule, missed_days
from carecoord.services.medication.rules import DEFAULT_RULES as DEFAULT_MEDICATION_RULES
from carecoord.services.medication.take_homes import FEDERAL_2024

UTC_DAY = DEFAULT_MEDICATION_RULES.day_of
SWEEP = Actor(id="missed-dose-sweep", role=Role.SYSTEM)
CLASSES = {c for m in DEFAULT_MEDICATIONS for c in m.classes}


def test_every_rule_has_a_source_a_version_and_classes_the_formulary_uses() -> None:
    assert len(DEFAULT_RULES) >= 15
    assert len({r.id for r in DEFAULT_RULES}) == len(DEFAULT_RULES)
    for rule in DEFAULT_RULES:
        assert rule.source.startswith("http") or "CFR" in rule.source, rule.id
        assert rule.version
        assert rule.classes_a <= CLASSES, rule.id
        assert rule.classes_b <= CLASSES, rule.id


def test_the_domain_table_pairs_are_covered() -> None:
    table = RuleTable()
    pairs = {
        ("methadone", "lorazepam"): "opioid-cns-depressant",
        ("buprenorphine", "zolpidem"): "opioid-cns-depressant",
        ("naltrexone", "methadone"): "naltrexone-opioid-agonist",
        ("methadone", "escitalopram"): "methadone-qt-prolonging",
        ("methadone", "clarithromycin"): "methadone-cyp3a4-inhibitor",
        ("methadone", "rifampin"): "methadone-cyp3a4-inducer",
        ("sertraline", "phenelzine"): "ssri-maoi",
        ("amitriptyline", "tranylcypromine"): "tca-maoi",
        ("disulfiram", "metronidazole"): "disulfiram-metronidazole",
        ("ramelteon", "fluvoxamine"): "ramelteon-cyp1a2-inhibitor",
        ("methadone", "gabapentin"): "opioid-gabapentinoid",
    }
    by_code = {m.code: m for m in DEFAULT_MEDICATIONS}
    for (a, b), rule_id in pairs.items():
        first = Entry(uuid4(), a, by_code[a].classes)
        second = Entry(uuid4(), b, by_code[b].classes)
        assert rule_id in {m.rule.id for m in table.check(first, [second])}, (a, b)
        assert rule_id in {m.rule.id for m in table.check(second, [first])}, (b, a)


def test_a_program_rule_replaces_a_default_by_id() -> None:
    [default] = [r for r in DEFAULT_RULES if r.id == "opioid-gabapentinoid"]
    stricter = type(default)(
        **{**{f: getattr(default, f) for f in default.__slots__}, "version": "2"}
    )
    table = RuleTable().extended([stricter])
    assert len(table.rules) == len(DEFAULT_RULES)
    assert [r.version for r in table.rules if r.id == "opioid-gabapentinoid"] == ["2"]


def test_federal_cap_schedule() -> None:
    assert [FEDERAL_2024.cap(d) for d in (1, 14, 15, 30, 31, 400)] == [7, 7, 14, 14, 28, 28]


def sweep(today: date) -> Stamp:
    """The sweep's stamp as it runs early on ``today``."""
    return Stamp(SWEEP, clock=lambda: at(today, 1))


def never_away(_: date) -> bool:
    return False


def test_missed_days_catch_up_and_count_consecutive_days() -> None:
    story = Story()
    order_id = story.prescribe()
    story.dose(order_id, day(1))
    story.dose(order_id, day(3))
    order = story.record.orders[order_id]

    found = missed_days(order, day(7), away=never_away, rule=MissedDoseRule(), day_of=UTC_DAY)

    assert [(m.day, m.consecutive_days, m.hold) for m in found] == [
        (day(2), 1, False),
        (day(4), 1, False),
        (day(5), 2, False),
        (day(6), 3, True),
    ]


def test_today_is_not_missed_yet_and_guest_days_are_not_missed() -> None:
    story = Story()
    order = story.record.orders[story.prescribe()]
    found = missed_days(
        order, day(4), away=lambda d: d == day(2), rule=MissedDoseRule(), day_of=UTC_DAY
    )
    assert [m.day for m in found] == [day(1), day(3)]


def test_recording_missed_doses_is_idempotent_and_holds_once() -> None:
    story = Story()
    order = story.prescribe()
    stamp = sweep(day(5))

    first = dispensing.record_missed(story.record, stamp, story.rules, day(5))
    again = dispensing.record_missed(story.record, stamp, story.rules, day(5))

    assert (first, again) == (4, 0)
    events = [r.event for r in story.record.pending]
    missed = [e for e in events if isinstance(e, DoseMissed)]
    holds = [e for e in events if isinstance(e, OrderHeld)]
    assert [m.consecutive_days for m in missed] == [1, 2, 3, 4]
    assert len(holds) == 1
    assert (holds[0].rule_id, holds[0].rule_version) == ("consecutive-missed-doses", "5")
    assert holds[0].actor == SWEEP
    with pytest.raises(RuleViolation, match="placed by missed-dose-sweep"):
        story.dose(order, day(5))


def test_a_resumed_order_counts_missed_days_afresh() -> None:
    story = Story()
    order = story.prescribe()
    dispensing.record_missed(story.record, sweep(day(4)), story.rules, day(4))
    story.now = story.now.replace(day=4)
    prescribing.resume(
        story.record, story.stamp(), story.rules, order, "assessed; restart at 30 mg"
    )
    story.dose(order, day(4), "30")

    dispensing.record_missed(story.record, sweep(day(6)), story.rules, day(6))

    last = story.record.pending[-1].event
    assert isinstance(last, DoseMissed)
    assert (last.day, last.consecutive_days) == (day(5), 1)


def test_the_hold_threshold_is_configurable() -> None:
    story = Story()
    order = story.record.orders[story.prescribe()]
    found = missed_days(
        order, day(3), away=never_away, rule=MissedDoseRule(hold_after=2), day_of=UTC_DAY
    )
    assert [m.hold for m in found] == [False, True]


def test_nurses_record_missed_only_through_the_rule() -> None:
    """A dose not given accounts for its day: the rule does not find it missed as well
    (``test_medication_not_given_missed.py``); the day after it, with nothing recorded, is."""
    story = Story()
    order = story.prescribe()
    not_given = NotGiven(order, NotGivenReason.DECLINED, occurred_at=at(day(1)))
    dispensing.not_given(story.record, story.stamp(NURSE), story.rules, not_given)
    assert dispensing.record_missed(story.record, sweep(day(3)), story.rules, day(3)) == 1
    [missed] = [r.event for r in story.record.pending if isinstance(r.event, DoseMissed)]
    assert (missed.day, missed.consecutive_days) == (day(2), 2)
