"""What a consent, a disclosure or an emergency access says in words: text a reader sees.

Spaces and zero-width (format) characters such as U+200B count as characters yet read as
nothing: a purpose or a signature of them looked written and said nothing, and twelve of
them passed an emergency access's ten-character reason.
"""

from __future__ import annotations

from carecoord.events.bounds import visible
from carecoord.services.kernel.errors import InvalidInput

EMERGENCY_REASON_MIN, EMERGENCY_REASON_MAX = 10, 1000
"""Characters an emergency access's reason shows at least, and holds at most (as
``BreakGlassUsed.reason`` bounds it)."""


def emergency_reason(reason: str) -> str:
    """The reason of an emergency access, trimmed. Its command checks it before the client is
    looked up: a reason refused only once the client was found told a clinician off every
    care team which client ids are enrolled, without breaking the glass."""
    trimmed = reason.strip()
    if visible(trimmed) < EMERGENCY_REASON_MIN or len(trimmed) > EMERGENCY_REASON_MAX:
        raise InvalidInput(
            "reason",
            "emergency-reason",
            f"say what the emergency is in {EMERGENCY_REASON_MIN} to {EMERGENCY_REASON_MAX}"
            " characters (spaces and invisible characters do not count)",
        )
    return trimmed


def shown(text: str, field: str) -> str:
    """``text`` trimmed; a refusal naming ``field`` when it shows nothing, so a consent or a
    disclosure never says it was signed by, or for, an empty-looking name or purpose."""
    if not visible(text):
        raise InvalidInput(
            field,
            "shows-text",
            f"{field} holds no text a reader sees (only spaces or invisible characters)",
        )
    return text.strip()
