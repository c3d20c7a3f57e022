"""What puts a client near the top of a clinician's caseload: the attention rules as data.

The order is a clinical choice a program reviews, so it lives here with its version rather
than in a resolver: an open alert of the highest severity first, then a run of missed
dosing days, then an overdue check-in, then more open alerts, then the soonest session.
A discharged client is expected to check in no more: their check-in is never overdue
(version 2026.2; 2026.1 ranked them by it as any client in treatment). Nor at the window: a
run of missed dosing days is the episode's in progress, none while discharged and counted
from the readmission's day after one (version 2026.3; 2026.2 kept the ended episode's run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class AttentionRules:
    version: str
    source: str
    check_in_every: timedelta
    """A check-in is overdue this long after the last one (or after enrollment, if none)."""
    missed_window: timedelta
    """Missed dosing days are counted over this window, up to the program's today."""
    severity_order: tuple[str, ...] = ("high", "moderate", "low")


CASELOAD_RULES = AttentionRules(
    version="caseload-2026.3",
    source=(
        "carecoord program default: weekly check-ins and a 30-day adherence window; no national "
        "standard sets a check-in cadence, so a program states its own"
    ),
    check_in_every=timedelta(days=7),
    missed_window=timedelta(days=30),
)


@dataclass(frozen=True, slots=True)
class Attention:
    """What the reader may see of one client's needs; None where their grant hides it."""

    open_alerts: int | None
    top_severity: str | None
    consecutive_missed_days: int | None
    check_in_overdue: bool | None
    next_session_at: datetime | None


def check_in_overdue(due: datetime, discharged: bool, now: datetime) -> bool:
    """Whether a check-in due at ``due`` is overdue at ``now``: never while the client is
    discharged (``dischargeClient``), whose care has ended until a readmission."""
    return not discharged and due < now


def urgency(seen: Attention, rules: AttentionRules = CASELOAD_RULES) -> tuple[int, int, int, int]:
    """A sort key: smaller is more urgent (ties are broken by the caller, e.g. next session)."""
    severities = rules.severity_order
    severity = len(severities)
    if seen.top_severity in severities:
        severity = severities.index(seen.top_severity)
    return (
        severity,
        -(seen.consecutive_missed_days or 0),
        0 if seen.check_in_overdue else 1,
        -(seen.open_alerts or 0),
    )


def reasons(seen: Attention) -> list[str]:
    """Why a client needs attention, most urgent first, in words a clinician scans."""
    found = []
    if seen.open_alerts:
        found.append(f"{seen.open_alerts} open alert(s), highest {seen.top_severity}")
    if seen.consecutive_missed_days:
        found.append(f"{seen.consecutive_missed_days} dosing day(s) missed in a row")
    if seen.check_in_overdue:
        found.append("check-in overdue")
    return found
