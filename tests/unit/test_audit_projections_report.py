"""``audit projections`` names which figures are the live model's and which the derived
one's: its DIFFERS line gave the derived model's row and client counts alone, unnamed, so
an auditor read a model with a row added by hand as holding as many rows as the store
derives. The JSON report carries the live counts beside the derived ones."""

from __future__ import annotations

from uuid import uuid4

from carecoord.projections.verify import Difference, Verified
from carecoord.services.runtime.audit_cli import describe_projections


def care_team(live: tuple[int, int], derived: tuple[int, int], added: int = 0) -> Verified:
    """The care team model as verified: ``live`` and ``derived`` (rows, clients); ``added``
    rows of a client the store never named."""
    differences = (Difference(uuid4(), added, 0, "e" * 32, None),) if added else ()
    return Verified(
        "care_team", 21, 21, derived[1], derived[0], differences, "a" * 32, "b" * 32, 0.5,
        21, 21, 1, 1, live[1], live[0],
    )  # fmt: skip


def test_a_model_that_differs_names_each_sides_counts() -> None:
    report = describe_projections([care_team(live=(7, 4), derived=(6, 3), added=1)], 0.5)

    line = next(line for line in report.splitlines() if "DIFFERS" in line)
    assert "live 7 rows, 4 clients, digest " + "a" * 32 in line
    assert "derived 6 rows, 3 clients, digest " + "b" * 32 in line
    assert "live 1 row (digest" in report  # the client's own line: one row


def test_the_json_report_has_the_live_counts_beside_the_derived() -> None:
    found = care_team(live=(7, 4), derived=(6, 3), added=1).as_json()

    assert (found["liveRows"], found["liveClients"]) == (7, 4)
    assert (found["rows"], found["clients"]) == (6, 3)


def test_a_model_the_same_on_both_sides_gives_its_counts_once() -> None:
    report = describe_projections([care_team(live=(1, 1), derived=(1, 1))], 0.5)

    assert "care_team            same     1 row, 1 client, digest " in report
