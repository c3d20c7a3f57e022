"""Through the API: methadone reported from another program on the wrong client's record is
marked entered in error by the nurse with a reason (a blank one refused, recording nothing);
the medication list keeps it as entered-in-error, and methadone prescribed here after is no
duplicate treatment. Before, ending it was the only way out, and the duplicate finding
still counted it on the day it was ended."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from medication_steps import MEDICATIONS, STATEMENT, Clinic, mutation

from support import Api

pytestmark = pytest.mark.shared_platform

IN_ERROR = mutation("StatementInErrorInput", "markMedicationStatementEnteredInError")


async def test_a_statement_in_error_leaves_the_picture_and_stays_on_the_list(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ada Q.")
    reported = await clinic.nurse(
        STATEMENT, medication="methadone", source="OTHER_PRESCRIBER", sourceDetail="Riverside"
    )
    head = await asyncio.to_thread(api.platform.store.last_position)

    blank = await clinic.refused(IN_ERROR, statementId=reported["id"], reason=" \u200b ")
    assert (blank["code"], blank["field"], blank["rule"]) == (
        "BAD_USER_INPUT", "reason", "reason-required",
    )  # fmt: skip
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    await clinic.nurse(IN_ERROR, statementId=reported["id"], reason="another client's report")
    twice = await clinic.refused(IN_ERROR, statementId=reported["id"], reason="again")
    assert (twice["field"], twice["rule"]) == ("statementId", "not-in-error")

    ordered = await clinic.methadone("40", today)

    assert ordered["findings"] == []
    listed = await clinic.read(MEDICATIONS, history=True)
    assert [(s["medication"], s["status"]) for s in listed["statements"]] == [
        ("methadone", "entered-in-error")
    ]
