"""An export withholds a check-in's side effects and substances as it does its note, by the
writer's role: a nurse's words may name a dose, and a therapist, who sees no doses, read them
in the JSON Lines and the FHIR Observation though the note beside them was withheld."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from every_event import NURSE, THERAPIST, every_event

from carecoord.events import Actor, Role
from carecoord.events.checkins import CheckInRecorded
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.export import ClientRecord, as_fhir, as_jsonl
from carecoord.services.kernel.policy import Standing, decide

AT = datetime(2026, 4, 1, tzinfo=UTC)
WORDS = ("substances", "side_effects")


def exported(reader: Actor) -> tuple[dict[str, Any], dict[str, Any]]:
    """The nurse's check-in as ``reader``'s JSON Lines and FHIR Bundle give it."""
    made = every_event()
    history = [Positioned(n, e) for n, e in enumerate(made.events, start=1)]
    grant = decide(reader.role, Standing(on_care_team=True))
    record = ClientRecord.shown(made.client_id, history, grant, reader)
    [line] = [
        json.loads(x)
        for x in as_jsonl([record]).splitlines()
        if json.loads(x)["type"] == "checkins.CheckInRecorded"
    ]
    [observation] = [
        e["resource"]
        for e in as_fhir([record], [], at=AT)["entry"]
        if e["resource"].get("code", {}).get("text") == "Between-visit check-in"
    ]
    return line, observation


def parts(observation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]["text"]: c for c in observation["component"]}


def test_a_nurses_side_effects_and_substances_are_withheld_from_a_therapist() -> None:
    [check_in] = [e for e in every_event().events if isinstance(e, CheckInRecorded)]
    assert check_in.actor == NURSE
    assert all(getattr(check_in, w) for w in WORDS)

    line, observation = exported(THERAPIST)
    assert set(WORDS) <= set(line["withheld"])
    assert [line[w] for w in WORDS] == [None, None]
    for name in ("substances", "side effects"):
        assert "valueString" not in parts(observation)[name]
        assert parts(observation)[name]["_valueString"]["extension"][0]["valueCode"] == "masked"

    line, observation = exported(Actor(id="auditor-1", role=Role.AUDITOR))
    assert [line[w] for w in WORDS] == [list(check_in.substances), list(check_in.side_effects)]
    assert parts(observation)["side effects"]["valueString"] == ", ".join(check_in.side_effects)
