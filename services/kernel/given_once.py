"""An item given twice in one input, refused naming where it was given again.

A list keyed by one of its fields (a rule acknowledged, a criterion assessed, an item
answered, an analyte reported, a bottle labelled) read as a mapping kept one of the two and
dropped the other unsaid; the refusal names the second's place, ``field.<index>.<key>``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from carecoord.services.kernel.errors import InvalidInput

K = TypeVar("K", bound=Hashable)


def given_once(
    keys: Iterable[K], field: str, key: str, rule: str, message: Callable[[K], str]
) -> None:
    """Refuse the first of ``keys`` given again, naming ``field.<its index>.<key>`` with
    ``rule`` and ``message`` of it."""
    seen: set[K] = set()
    for n, given in enumerate(keys):
        if given in seen:
            raise InvalidInput(f"{field}.{n}.{key}", rule, message(given))
        seen.add(given)
