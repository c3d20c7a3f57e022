"""The program's day: the date a moment has where the program is (``program_time_zone``).

Days people read and write down (a dosing day, a signing date, the day a note says an entry
was struck out, a FHIR ``date``) turn over at the program's midnight, not at UTC's. The stamp,
the medication tables and the alert rules each carry the zone; this says once how a moment
becomes a day in it.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo


def program_day(moment: datetime, zone: tzinfo) -> date:
    """The day ``moment`` falls on in ``zone``."""
    return moment.astimezone(zone).date()
