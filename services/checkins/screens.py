"""A presumptive screen and the definitive test of its specimen.

An immunoassay is presumptive: it cross-reacts (quinolones read as opiates, sertraline as
benzodiazepines) and the lab's definitive test of the same specimen (GC-MS or LC-MS/MS) is
what the specimen held (the HHS Mandatory Guidelines, 82 FR 7920, confirm every initial
positive so). Both stay on record apart (domain.md section 3), and the definitive result
replaces the presumptive one for every analyte it reports: a presumptive opiates positive
the lab found no opioid in is no opioid exposure for the naltrexone rules. What the lab did
not report, the presumptive result still answers for.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from carecoord.events.checkins import ScreenMethod
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation

CLASS_ANALYTES: Mapping[str, frozenset[str]] = {
    "opiates": frozenset(
        {"6-mam", "codeine", "hydrocodone", "hydromorphone", "morphine", "oxymorphone"}
    ),
}
"""An immunoassay's class and the analytes a definitive test names for it (the HHS opioid
panel, 82 FR 7920): a definitive report of any of them answers for the class."""


def retested(analytes: Iterable[str]) -> frozenset[str]:
    """The analytes of a presumptive screen that a definitive report of ``analytes`` answers
    for: each one it names, and the class any of them belongs to."""
    named = frozenset(analytes)
    return named | {cls for cls, members in CLASS_ANALYTES.items() if named & members}


@dataclass(frozen=True, slots=True)
class Screen:
    """A drug screen as the record keeps it, to judge a confirmation of it."""

    screen_id: UUID
    collected_at: datetime
    method: ScreenMethod
    analytes: frozenset[str]
    """Every analyte it reports, whatever the result."""
    confirms: UUID | None = None


def confirmation_of(
    screen: Screen | None,
    given: UUID,
    method: ScreenMethod,
    collected_at: datetime | None,
    screens: Iterable[Screen],
    in_error: Container[UUID],
) -> Screen:
    """``screen``, the one ``given`` names, if a definitive result may confirm it: a
    presumptive screen of the client's, not in error, not confirmed already, and of the same
    specimen (collected when it was, or no time given)."""
    if method is not ScreenMethod.DEFINITIVE:
        raise InvalidInput(
            "confirms", "definitive-confirms", "only a definitive result confirms a screen"
        )
    if screen is None:
        raise NotFound("confirms", "unknown-screen", f"the client has no drug screen {given}")
    if screen.method is not ScreenMethod.PRESUMPTIVE:
        raise RuleViolation(
            "confirms", "confirms-presumptive", f"screen {screen.screen_id} is definitive"
        )
    if screen.screen_id in in_error:
        raise RuleViolation(
            "confirms", "screen-in-error", f"screen {screen.screen_id} was marked entered in error"
        )
    for other in screens:
        if other.confirms == screen.screen_id and other.screen_id not in in_error:
            raise RuleViolation(
                "confirms",
                "already-confirmed",
                f"screen {screen.screen_id} is confirmed by screen {other.screen_id}; mark that"
                " one entered in error to record another",
            )
    if collected_at is not None and collected_at != screen.collected_at:
        raise InvalidInput(
            "collectedAt",
            "same-specimen",
            f"a confirmation is of the specimen of screen {screen.screen_id}, collected"
            f" {screen.collected_at.isoformat()}: give that time or none",
        )
    return screen
