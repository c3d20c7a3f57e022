"""An act on an entry the caller may not see is refused as one on an id nobody recorded.

A refusal that says more than "no such entry" (who may correct it, that it is marked
already) confirms that the id names an entry of this client's: a peer supporter told that
vital signs are "corrected by one of: nurse, prescriber" learns that the client has them,
and could probe ids one by one. So a caller who may not see the entry's kind
(``policy.writer_sees``) gets the answer an unknown id gets, the same code, field, rule and
message; one who sees it is told what would allow the act. A command looks the id up, and
refuses an unknown one and an unseen one with one ``NotFound`` built once for both.
"""

from __future__ import annotations

from carecoord.events import Actor, Kind
from carecoord.services.kernel.errors import NotFound
from carecoord.services.kernel.policy import writer_sees


def refuse_unseen(actor: Actor, kind: Kind, unknown: NotFound) -> None:
    """Raise ``unknown``, the refusal of an id nobody recorded, unless ``actor`` sees entries
    of ``kind``: call it before any refusal that would tell more about the entry."""
    if kind not in writer_sees(actor.role):
        raise unknown
