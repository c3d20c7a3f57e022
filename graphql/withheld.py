"""Free text a reader is shown an entry with but not its text: the entry (who, when, what
status) is theirs to see, the text its writer wrote may tell more (``policy.shows_text_by``).
A field withheld reads null and is named in the answer's ``withheld``, so a note kept back
never reads as one left empty."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from carecoord.events import Role
from carecoord.services.kernel.policy import Grant, shows_text_by


def withheld(
    fields: Iterable[str], grant: Grant, writer_role: str, writer_id: str, reader_id: str
) -> list[str]:
    """Those of ``fields`` (free text written by ``writer_id`` in ``writer_role``) that
    ``grant`` does not show ``reader_id``: all of them, or none."""
    shown = shows_text_by(grant, Role(writer_role), authored_by_reader=writer_id == reader_id)
    return [] if shown else list(fields)


def without(found: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """``found`` with ``fields`` nulled."""
    return {**found, **dict.fromkeys(fields)}


def step_shown(step: dict[str, Any], grant: Grant, reader_id: str) -> dict[str, Any]:
    """A progress step (an alert's, a goal's: its ``note``, ``by`` and ``role``) as
    ``grant`` shows it to ``reader_id``, naming what it withholds in its ``withheld``."""
    if "note" not in step:  # an alert's step naming evidence in error has no text
        return step
    gone = withheld(["note"], grant, step["role"], step["by"], reader_id)
    return {**without(step, gone), "withheld": gone}
