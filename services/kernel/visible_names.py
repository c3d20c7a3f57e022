"""A name that keys a record (a program, a site, a take-home bottle's label) shows every
character it holds.

A program is the site its clients are dosed at, and its name is the stock's key: "OTP" with a
zero-width space after it is another program and another site, shown on every screen as OTP.
A client enrolled under it was dosed from stock no receipt at OTP reached, and a transfer
from OTP to it passed the rule that a transfer goes to another site, so schedule II stock left
the books for a site that reads as the one it left. A bottle's label is how a call-back count
tells which dose a returned bottle held: B1 and B1 with a zero-width space passed as two
labels. A new name is taken only when every character is one a reader sees, or a plain space;
names already recorded stay as they are.
"""

from __future__ import annotations

import unicodedata

from carecoord.events.bounds import visible
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.user_ids import DRAWN_LATIN

RULE = "visible-name"

_MARKS = frozenset({"Mn", "Me"})
"""Accents written apart from their letter: seen on the letter before them."""


def shown(field: str, name: str) -> str:
    """``name`` trimmed, when it holds only characters a reader sees and plain spaces; else a
    refusal naming ``field`` and the character, never the name."""
    trimmed = name.strip()
    for at, ch in enumerate(trimmed):
        if ch != " " and not visible(ch) and unicodedata.category(ch) not in _MARKS:
            raise InvalidInput(
                field,
                RULE,
                f"{field} holds U+{ord(ch):04X} at {at}, which a reader does not see: a name"
                " is letters, digits, punctuation and plain spaces",
            )
    return trimmed


def site_named(field: str, name: str) -> str:
    """A program's name, which is also its site's (``shown``), when it reads one way: not
    written with a character Unicode writes another way (a fullwidth O is an O), not with
    two spaces where a reader sees one, and with no letter of another script drawn like a
    Latin one, among Latin letters or as all its letters (a Cyrillic O in OTP). Else a
    refusal naming ``field``: such a name is another program and site every screen shows
    as the one it reads as, and the stock dosed or sent there left the books."""
    name = shown(field, name)
    why = None
    if unicodedata.normalize("NFKC", name) != name:
        why = "holds a character Unicode writes another way (a fullwidth letter, a ligature)"
    elif "  " in name:
        why = "holds two spaces where a reader sees one"
    else:
        letters = [ch for ch in name if unicodedata.category(ch).startswith("L")]
        drawn = [ch for ch in letters if ch in DRAWN_LATIN]
        latin = any(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)
        if drawn and (latin or len(drawn) == len(letters)):
            why = f"holds U+{ord(drawn[0]):04X}, a letter drawn like a Latin one"
    if why is not None:
        raise InvalidInput(field, RULE, f"{field} {why}: it reads as another name")
    return name
