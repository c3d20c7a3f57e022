"""Free text a reader is shown an entry with but not its text: the entry (who, when, what
status) is theirs to see, the text its writer wrote may tell more (``policy.shows_text_by``).
A field withheld reads null and is named in the answer's ``withheld``, so a note kept back
never reads as one left empty."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

from carecoord.events import Role
from carecoord.services.kernel.policy import Grant, shows_text_by


@dataclass(frozen=True, slots=True)
class TextShown:
    """Whose free text a grant shows its reader, decided once for a page of entries (the
    timeline's): then each entry's is a lookup, by its writer's role or its writer."""

    roles: frozenset[str]
    reader_id: str

    @classmethod
    def of(cls, grant: Grant, reader_id: str) -> Self:
        shown = (r.value for r in Role if shows_text_by(grant, r, authored_by_reader=False))
        return cls(frozenset(shown), reader_id)

    def shows(self, writer_role: str, writer_id: str) -> bool:
        """Whether text written by ``writer_id`` in ``writer_role`` shows."""
        return writer_role in self.roles or writer_id == self.reader_id

    def withheld(self, fields: Iterable[str], writer_role: str, writer_id: str) -> list[str]:
        """Those of ``fields``, written by ``writer_id`` in ``writer_role``, withheld."""
        return [] if self.shows(writer_role, writer_id) else list(fields)


def withheld(
    fields: Iterable[str], grant: Grant, writer_role: str, writer_id: str, reader_id: str
) -> list[str]:
    """Those of ``fields`` (free text written by ``writer_id`` in ``writer_role``) that
    ``grant`` does not show ``reader_id``: all of them, or none. For one entry; a page of
    them asks ``TextShown`` once."""
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
