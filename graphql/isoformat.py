"""``datetime.isoformat``, faster where it can be.

CPython's ``isoformat`` of an aware datetime costs some 11,000 instructions (a generic
printf per part, the offset asked of the zone); a timeline page formats three per entry
(two fields and its cursor), a tenth of the page's CPU. orjson writes the same text in a
third of that for a datetime without a zone or in UTC; any other zone (an offset may have
seconds, which orjson rounds away) keeps ``isoformat``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson

_ORJSON_SAME = frozenset({None, UTC, ZoneInfo("UTC"), ZoneInfo("Etc/UTC")})
"""Zones for which orjson's text is ``isoformat``'s (no zone, or always +00:00)."""


def isoformat(value: datetime) -> str:
    """``value.isoformat()``."""
    if type(value) is datetime and value.tzinfo in _ORJSON_SAME:
        return orjson.dumps(value)[1:-1].decode()
    return value.isoformat()
