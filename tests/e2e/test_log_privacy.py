"""Privacy outside the API: what the platform logs while a care team works carries codes,
rule ids and opaque ids, never a client's name, a drug or a note, even at DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from medication_steps import PRESCRIBE, TIMELINE
from test_access_writes import CHECK_IN
from test_medication_safety import methadone_stopped, order

from carecoord.events import Role
from carecoord.graphql.errors import loggable_rule
from carecoord.services.runtime.logs import JsonFormatter
from support import Api, mutation

NAME = "Zephyrine Quillfeather"
NOTE = "slept in the lighthouse again, kumquat dreams 7731"
DRUGS = ("methadone", "naltrexone")


class Captured(logging.Handler):
    """Every record, formatted as the platform writes it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[Captured]:
    root = logging.getLogger()
    handler, level = Captured(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_care_team_work_leaves_no_name_drug_or_note_in_the_logs(
    api: Api, logs: Captured, today: date
) -> None:
    clinic = await methadone_stopped(api, today, NAME, last_dose_ago=9)
    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("naltrexone", "50", today))
    checked_in = await api.ok(
        CHECK_IN,
        {"input": {"clientId": clinic.client_id, "mood": 4, "note": NOTE}},
        role=Role.CLIENT,
        user=clinic.client_id,
    )
    await clinic.read(TIMELINE, atLeast=checked_in["recordCheckIn"]["position"])
    unknown = await api.gql(
        CHECK_IN, {"input": {"clientId": clinic.client_id, "note": NOTE}}, role=Role.NURSE
    )

    # The refusals reached the caller with their messages...
    assert "naltrexone" in refused["message"]
    assert refused["rule"] == "naltrexone-opioid-free-interval"
    assert unknown["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # ...and the logs have each as one INFO line of codes and ids, without a traceback.
    records = [json.loads(line) for line in logs.lines]
    refusals = [r for r in records if r["msg"] == "request refused"]
    assert {(r["level"], r["code"], r["field"]) for r in refusals} >= {
        ("info", "RULE_VIOLATION", "acknowledgements"),
        ("info", "FORBIDDEN", "clientId"),
    }
    assert all("exc" not in r and r["correlation_id"] for r in refusals)
    logged = (loggable_rule(refused["rule"], DRUGS), refused["ruleVersion"])
    assert logged in {(r["rule"], r.get("rule_version")) for r in refusals}
    assert not [r for r in records if r["logger"] == "strawberry.execution"]
    leaked = [
        line
        for line in logs.lines
        for secret in (NAME, *NAME.split(), NOTE, "kumquat", *DRUGS)
        if secret.lower() in line.lower()
    ]
    assert not leaked, leaked[:3]
    assert len(logs.lines) > 10  # DEBUG was on: the scan saw what the platform logs


async def test_an_instrument_item_named_with_a_note_leaves_it_out_of_the_logs(
    api: Api, logs: Captured
) -> None:
    """A refused item is logged by its place among the answers, not by what was sent as it."""
    enrolled = await api.ok(
        mutation("EnrollClientInput", "enrollClient"),
        {"input": {"displayName": "Q. R.", "program": "IOP"}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = enrolled["enrollClient"]["id"]
    items = [{"item": str(n), "value": 0} for n in range(1, 10)]
    fields = []
    for sent in ([{"item": NOTE, "value": 1}, *items], [*items, *[{"item": NOTE, "value": 1}] * 2]):
        body = await api.gql(
            mutation("ScoreInstrumentInput", "scoreInstrument"),
            {"input": {"clientId": client_id, "instrument": "PHQ9", "answers": sent}},
            role=Role.CLIENT,
            user=client_id,
        )
        [error] = body["errors"]
        fields.append((error["extensions"]["field"], error["extensions"]["rule"]))

    assert fields == [("answers.0.item", "unknown-item"), ("answers.10.item", "duplicate-item")]
    assert not [line for line in logs.lines if "kumquat" in line]
    assert [line for line in logs.lines if "answers.10.item" in line]


def test_a_rule_named_for_a_drug_is_logged_by_its_digest() -> None:
    logged: dict[str, Any] = {
        rule: loggable_rule(rule, DRUGS)
        for rule in ("naltrexone-opioid-free-interval", "care-team-member", "ssri-maoi")
    }

    assert logged["care-team-member"] == "care-team-member"
    assert logged["ssri-maoi"] == "ssri-maoi"
    assert logged["naltrexone-opioid-free-interval"].startswith("medication-rule:")
    assert len(logged["naltrexone-opioid-free-interval"]) == len("medication-rule:") + 12
