"""Sedation or slowed breathing a check-in reports while the client is on an opioid agonist
raises a same-day alert (sedation-on-agonist, high): the side effects were kept and read by
no rule, so a client on methadone who said they were nodding off raised nothing."""

from __future__ import annotations

import pytest
from alert_story import Story

from carecoord.services.checkins.side_effects import signs_reported

SIGNS = ("sedation", "slowed breathing")


@pytest.mark.parametrize(
    ("side_effects", "signs"),
    [
        (["Very drowsy today"], ("sedation",)),
        (["nausea", "Nodding-off at work"], ("sedation",)),
        (["trouble  breathing at night", "sedated"], ("sedation", "slowed breathing")),
        (["nausea", "constipation"], ()),
        (["breathing", "nod"], ()),  # a word of a sign is no sign
        (["Drowsy, dizzy"], ("sedation",)),  # the comma ended the word: no sign
        (["nausea; shallow breathing."], ("slowed breathing",)),
        (["can't stay awake!"], ("sedation",)),
        (["no sedation", "Denies drowsiness."], ()),  # version 3: denied, not reported
        (["denies any drowsiness", "not feeling drowsy", "no signs of sedation"], ()),
        (["No more nodding off", "haven't been drowsy"], ()),
        (["no nausea, nodding off"], ("sedation",)),
        (["no appetite drowsy", "not sure why so drowsy"], ("sedation",)),
        (["not drowsy but nodding off"], ("sedation",)),
        (["can't drive without falling asleep"], ("sedation",)),
        (["no sedation or slowed breathing"], ()),  # version 5: the list is denied
        (["denies drowsiness, slurred speech or nodding"], ()),
        (["Client denies nausea, vomiting, or shallow breathing."], ()),
        (["neither drowsy nor nodding off"], ()),
        (["no sedation but slurred speech", "no nausea; slowed breathing"], SIGNS),
        (["no nausea or vomiting, nodding off", "no nausea and slurred speech"], ("sedation",)),
        (
            ["not sure, drowsy or nodding off", "no sedation however drowsy or nodding"],
            ("sedation",),
        ),
        (["no nausea or I was nodding off at work all day"], ("sedation",)),
        (["can\u2019t stay awake"], ("sedation",)),  # a phone's apostrophe: version 4
        (["I don\u2019t feel drowsy"], ()),
    ],
)
def test_the_signs_are_read_in_the_clients_words(
    side_effects: list[str], signs: tuple[str, ...]
) -> None:
    assert signs_reported(side_effects) == signs


def test_sedation_on_an_agonist_raises_a_high_alert_naming_the_sign_not_the_words() -> None:
    story = Story()
    story.check_in(side_effects=("very drowsy",))
    assert story.fired() == [], "no agonist prescribed"

    order = story.prescribe("methadone")
    story.dose(order)
    story.check_in(side_effects=("constipation",))
    assert story.fired() == []
    story.check_in(side_effects=("constipation", "Nodding off after my dose"), mood=6)

    [alert] = story.alerts()
    assert (alert.rule_id, alert.rule_version, alert.severity.value) == (
        "sedation-on-agonist",
        "5",
        "high",
    )
    assert alert.detail == "sedation reported at a check-in while on methadone"


def test_a_held_order_still_counts() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.dose(order)
    story.hold(order)

    story.check_in(side_effects=("shallow breathing",))

    assert story.fired() == ["sedation-on-agonist"]
