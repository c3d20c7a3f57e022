"""What a refused request's error quotes of the values sent: a short value as it was sent,
a long one by its length only.

graphql-core ends a refused literal's error with the literal (``found: 1e300``), and the
scalars quote the value they refused (``Value cannot represent a UUID: "..."``,
``Seq cannot represent 1000...``): a UUID of 30,000 characters, or ``1e300`` read as its 301
digits, came back whole in the answer, which clients, their error reporters and the proxies
between log and show. What was wrong is said by the words around it; the value itself, past
a few dozen characters, says nothing more.
"""

from __future__ import annotations

import re

QUOTED_MAX = 64
"""Characters of a value an error quotes: more than a UUID, a date-time or a bigint takes."""

_FOUND = re.compile(r"(?P<said>.*?[;,] found: )(?P<value>.*)\.", re.DOTALL)
"""graphql-core's refused literal, printed after what was wrong with it."""

_VALUE = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s"]+')
"""A double-quoted string as a scalar or graphql-core quotes one, or a run without spaces
(a number, a bare literal)."""


def shown(value: object) -> str:
    """``value`` as an error quotes it: its ``repr`` when short, else only its length."""
    text = repr(value)
    return text if len(text) <= QUOTED_MAX else unquoted(len(text))


def unquoted(length: int) -> str:
    return f"(a value of {length} characters, not quoted)"


def clipped(message: str) -> str:
    """``message`` with every value it quotes past ``QUOTED_MAX`` characters said by its
    length: the literal graphql-core prints after ``found:`` whole, any other quoted string
    or run of characters on its own."""
    found = _FOUND.fullmatch(message)
    if found is not None and len(found["value"]) > QUOTED_MAX:
        message = f"{found['said']}{unquoted(len(found['value']))}."
    return _VALUE.sub(_within_bound, message)


def _within_bound(value: re.Match[str]) -> str:
    text = value[0]
    return text if len(text) <= QUOTED_MAX else unquoted(len(text))
