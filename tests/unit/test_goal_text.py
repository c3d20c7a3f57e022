"""A treatment goal's words and its progress notes are free text, shown by their writer's
role as every other (``policy.shows_text_by``): a prescriber's goal naming the dose reads
null to the therapist who sees no doses, and to a client on a blind taper, and so do those
words where a progress step restates them, whoever wrote the step."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from carecoord.events import Role
from carecoord.graphql.therapy import goal_shown
from carecoord.graphql.timeline import TimelineEntry
from carecoord.graphql.withheld import TextShown
from carecoord.projections.goals import Goal
from carecoord.projections.timeline import Entry
from carecoord.services.kernel.access import MAY_RECORD, Action
from carecoord.services.kernel.policy import Restriction, Standing, decide

TEAM = Standing(on_care_team=True)
THERAPIST = decide(Role.THERAPIST, TEAM)
BLIND = decide(
    Role.CLIENT, Standing(is_self=True, restrictions=frozenset({Restriction.BLIND_TAPER}))
)
WORDS = "taper methadone to 40 mg"


def goal(role: Role, by: str, *steps: tuple[Role, str]) -> Goal:
    now = datetime.now(UTC)
    history = [
        {"achievement": "improving", "note": f"{r.value}'s note", "by": b, "role": r.value}
        for r, b in steps
    ]
    return Goal(
        goal_id=uuid4(), client_id=uuid4(), kind="therapy", actor_id=by, description=WORDS,
        target_date=None, achievement="improving", set_at=now, set_position=1,
        updated_position=2, history=history, actor_role=role.value,
    )  # fmt: skip


def test_the_writers_of_goals_are_those_the_free_text_table_is_written_for() -> None:
    for action in (Action.SET_TREATMENT_GOAL, Action.RECORD_GOAL_PROGRESS):
        assert MAY_RECORD[action] == frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})


def test_a_therapist_reads_their_own_words_on_a_prescribers_goal_and_not_the_goals() -> None:
    row = goal(Role.PRESCRIBER, "dr-1", (Role.NURSE, "rn-1"), (Role.THERAPIST, "ther-1"))

    shown = goal_shown(row, THERAPIST, "ther-1")

    assert shown["description"] is None
    assert [(s["note"], s["withheld"]) for s in shown["history"]] == [
        (None, ["note"]),
        ("therapist's note", []),
    ]
    assert goal_shown(row, THERAPIST, "dr-1")["description"] == WORDS, "its writer reads it"


def test_a_client_on_a_blind_taper_reads_no_clinicians_goal() -> None:
    for role in (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST):
        shown = goal_shown(goal(role, "someone", (role, "someone")), BLIND, "client-1")
        assert (shown["description"], shown["history"][0]["withheld"]) == (None, ["note"])


def progress(by: str, role: Role, goal_id: UUID) -> Entry:
    now = datetime.now(UTC)
    facts: dict[str, Any] = {"goal_id": str(goal_id), "description": WORDS, "note": ""}
    return Entry(
        position=3, client_id=uuid4(), event_id=uuid4(), type="care.GoalProgressRecorded",
        kind="therapy", occurred_at=now, recorded_at=now, actor_id=by, actor_role=role.value,
        summary="Goal progress: improving", facts=json.dumps(facts),
    )  # fmt: skip


def test_a_progress_step_keeps_back_the_words_of_its_goal_as_the_goal_does() -> None:
    prescribed = goal(Role.PRESCRIBER, "dr-1")
    own = goal(Role.THERAPIST, "ther-1")
    restated = {prescribed["goal_id"]: prescribed, own["goal_id"]: own}

    def withheld(row: Entry) -> list[str]:
        return TimelineEntry.of(row, TextShown.of(THERAPIST, "ther-1"), restated).withheld

    assert withheld(progress("ther-1", Role.THERAPIST, prescribed["goal_id"])) == ["description"]
    assert withheld(progress("ther-1", Role.THERAPIST, own["goal_id"])) == []
    assert withheld(progress("rn-1", Role.NURSE, own["goal_id"])) == ["description", "note"]
    # A goal its view does not hold yet (behind, or being rebuilt) keeps its words back.
    assert withheld(progress("ther-1", Role.THERAPIST, uuid4())) == ["description"]
