"""The README's first session, sent as written: each step's operation, by the role its comment
names, with the ids and position the steps before it answered."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from carecoord.events import Role
from carecoord.services.kernel.program_day import program_day
from support import Api

pytestmark = pytest.mark.shared_platform

README = Path(__file__).resolve().parents[2] / "README.md"
# Who sends each step, as the README's comments say (the demo users it names).
SENT_BY = [
    (Role.PROGRAM_ADMIN, "demo-admin"),
    (Role.PROGRAM_ADMIN, "demo-admin"),
    (Role.PROGRAM_ADMIN, "demo-admin"),
    (Role.PRESCRIBER, "dr-demo"),
    (Role.NURSE, "nurse-demo"),
    (Role.NURSE, "nurse-demo"),
]


def first_session() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## A first session", 1)[1]
    block = section.split("```graphql\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if not line.startswith("#")]
    return [op.strip() for op in re.split(r"\n(?=mutation|query)", "\n".join(lines)) if op]


async def test_the_first_session_runs_as_the_readme_writes_it(api: Api) -> None:
    operations = first_session()
    assert len(operations) == len(SENT_BY)
    today = program_day(datetime.now(UTC), api.platform.medication.zone)
    given = {"<today>": today.isoformat()}
    answers = []
    for (role, user), written in zip(SENT_BY, operations, strict=True):
        sent = written
        for placeholder, value in given.items():
            sent = sent.replace(placeholder, value)
        data = await api.ok(sent, role=role, user=user)
        ((field, answer),) = data.items()
        answers.append(field)
        if isinstance(answer, dict) and "position" in answer:
            given["<position>"] = str(answer["position"])
            if field == "enrollClient":
                given["<id>"] = answer["id"]
            if field == "prescribeMedication":
                given["<order id>"] = answer["id"]
    assert answers[-1] == "clientTimeline"
    kinds = [edge["node"]["type"] for edge in data["clientTimeline"]["edges"]]
    assert kinds[-2:] == ["medication.MedicationPrescribed", "medication.DoseAdministered"]
