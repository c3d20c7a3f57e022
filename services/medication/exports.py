"""Program-wide medication exports (DEA dispensing log, lot ledger): who may take them and
how they are rendered. They name clients by id only; identity stays behind 42 CFR Part 2."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from carecoord.events import Actor, Role
from carecoord.services.kernel.errors import Forbidden

MAY_EXPORT = frozenset({Role.AUDITOR, Role.PRESCRIBER, Role.NURSE})
"""DEA inspectors (auditor role), the medical director and the dispensing staff."""

KEEPERS = frozenset({Role.PROGRAM_ADMIN, Role.AUDITOR})
"""Who reads the whole DEA dispensing log and lot ledger: the program's admin, who keeps
them (an admin whose token names a program: its clients), and auditors, who inspect them."""
DISPENSING_STAFF = frozenset({Role.PRESCRIBER, Role.NURSE})
"""Who reads the rows of the clients whose care team they are on now, and no others'."""


def require_exporter(actor: Actor, what: str) -> None:
    if actor.role not in MAY_EXPORT:
        roles = ", ".join(sorted(r.value for r in MAY_EXPORT))
        raise Forbidden("role", "role-may-export", f"the {what} is for: {roles}")


def dispensing_reader(actor: Actor, what: str) -> bool:
    """Whether ``actor`` may read the DEA log or the lot ledger only for their care team's
    clients (True) or for the whole program (False); refused for any other role."""
    if actor.role in KEEPERS:
        return False
    if actor.role in DISPENSING_STAFF:
        return True
    roles = ", ".join(sorted(r.value for r in KEEPERS | DISPENSING_STAFF))
    raise Forbidden(
        "role",
        "role-may-export",
        f"the {what} is for: {roles} (prescribers and nurses: their care team's clients)",
    )


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if value is None else str(value) for value in row] for row in rows)
    return out.getvalue()
