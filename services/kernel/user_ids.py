"""Ids people are known by (a token's subject, a member or witness a command names): two that
look the same are the same person.

An audit log, a care-team listing or a break-glass review shows an id as text, and an
auditor trusts that the nurse-anna shown there is the nurse-anna they know. Unicode offers
many ways to write a second id that reads the same: a Cyrillic a (U+0430) among Latin
letters, a fullwidth n (U+FF4E), a ligature, an accent written apart from its letter, a
zero-width joiner or a bidi control, or a name written wholly in Cyrillic letters drawn like
Latin ones. A new id is taken only when it reads one way (docs/access.md, "Identity"). Ids
already recorded are not held to it: they stay readable, and a membership under one can
still be ended.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable

from carecoord.events.bounds import visible
from carecoord.events.envelope import ACTOR_ID_MAX
from carecoord.services.kernel.errors import InvalidInput

RULE = "unmistakable-id"
"""The rule a command's refusal names (a token's: ``token-subject-lookalike``)."""

ACCEPTED = (
    "an id is letters of one script (with the accents on them), digits 0-9, ASCII"
    " punctuation and single spaces between them, in Unicode's normal form (NFKC), with"
    " nothing invisible"
)

_SIGNS = frozenset(string.digits + string.punctuation)
"""What an id holds beside letters: one way each to write a digit, a dot, a dash, an @."""

_DRAWN_AS_NOTHING = re.compile(
    "[\u034f\u17b4\u17b5\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef]"
)
"""Marks drawn as nothing: the grapheme joiner, the variation selectors, Khmer's inherent
vowels (Unicode's default-ignorable marks)."""

_PHONETIC = re.compile("[\u01c0-\u01c3\u0250-\u02af\u1d00-\u1dbf\ua720-\ua7ff\uab30-\uab6f]")
"""Latin letters of the phonetic alphabets, of no language's spelling, many drawn like plain
ones: the alpha and the script g (U+0251, U+0261), small capitals, the click U+01C0 (an l)."""

SCRIPTS = frozenset(
    {
        "LATIN", "GREEK", "CYRILLIC", "ARMENIAN", "HEBREW", "ARABIC", "THAANA", "DEVANAGARI",
        "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA", "MALAYALAM",
        "SINHALA", "THAI", "LAO", "TIBETAN", "MYANMAR", "GEORGIAN", "HANGUL", "ETHIOPIC",
        "KHMER", "HIRAGANA", "KATAKANA", "BOPOMOFO", "HAN",
    }
)  # fmt: skip
"""The scripts in everyday use (UTS #31's recommended scripts), as the first word of their
letters' names; the others (Cherokee, Lisu...) have many letters drawn like Latin ones."""

_WRITINGS = (
    *(frozenset({script}) for script in SCRIPTS),
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "HANGUL"}),
    frozenset({"HAN", "BOPOMOFO"}),
)
"""The scripts one id's letters may come from: one, or those Japanese, Korean and Chinese
are written in together."""

_NAMED_AS = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "KATAKANA-HIRAGANA": "KATAKANA"}
"""Letters whose name does not start with their script's."""

DRAWN_LATIN = frozenset(
    "аеорсухѕіїјһӏԁԛԝүѵгкмптзбё"  # Cyrillic small
    "АВЕНКМОРСТХУЅІЇЈӀԚԜҮѴЗЁ"  # Cyrillic capital
    "αγικνορυχωϲϳ"  # Greek small
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹͿϜΪΫ"  # Greek capital
    "գհոսցօլզՕՍՏԼ"  # Armenian
)
"""Letters of other scripts drawn like a Latin letter or a digit (after Unicode's
confusables, UTS #39): an id of these alone reads as a Latin id."""


def mistakable(user_id: str) -> str | None:
    """Why ``user_id`` could be read as another id, or None when it reads one way. Names the
    character at fault, never the id."""
    if unicodedata.normalize("NFKC", user_id) != user_id:
        return _unnormal(user_id)
    scripts: set[str] = set()
    on_letter = False
    for at, ch in enumerate(user_id):
        category = unicodedata.category(ch)
        if ch in _SIGNS:
            on_letter = False
            continue
        if ch == " " and 0 < at < len(user_id) - 1 and user_id[at - 1] != " ":
            on_letter = False  # one space between words; two, or one at an end, read as one
            continue
        if category.startswith("M") and on_letter and not _DRAWN_AS_NOTHING.match(ch):
            scripts.update({_script(ch)} & SCRIPTS)  # a vowel sign is its script's
            continue
        if not category.startswith("L") or not visible(ch):
            return f"holds {_named(ch)} at {at}: {ACCEPTED}"
        script = _script(ch)
        if script not in SCRIPTS or _PHONETIC.match(ch):
            return f"holds {_named(ch)} at {at}, a letter of no everyday spelling: {ACCEPTED}"
        scripts.add(script)
        if not any(scripts <= writing for writing in _WRITINGS):
            others = " and ".join(sorted(s.title() for s in scripts - {script}))
            return (
                f"holds {_named(ch)} at {at} among {others} letters: an id's letters are of"
                " one script"
            )
        on_letter = True
    letters = [ch for ch in user_id if unicodedata.category(ch).startswith("L")]
    if letters and all(ch in DRAWN_LATIN for ch in letters):
        return (
            f"is written in {_script(letters[0]).title()} letters that are each drawn like a"
            " Latin one: it reads as a Latin id"
        )
    return None


_DRAWN_ALIKE = (("I", "l"), ("1", "l"), ("|", "l"), ("0", "o"), ("rn", "m"), ("vv", "w"))
"""Plain ASCII drawn alike in many fonts (after UTS #39's confusables): a capital I, a one
and a bar read as a small l, a zero as an o, r-n as an m, v-v as a w."""


def skeleton(user_id: str) -> str:
    """What ``user_id`` reads as: two ids with one skeleton are told apart only by a careful
    eye (``dr-1ee`` and ``Dr-Lee`` read as ``dr-lee``). Compared only with ids already on
    record, since neither id alone is at fault."""
    for drawn, read in _DRAWN_ALIKE[:3]:
        user_id = user_id.replace(drawn, read)
    user_id = user_id.casefold()
    for drawn, read in _DRAWN_ALIKE[3:]:
        user_id = user_id.replace(drawn, read)
    return user_id


def read_alike(one: str, other: str) -> bool:
    """Whether two ids read as one: by their skeletons, or those of their small letters
    (``NURSE-KIM`` beside ``nurse-kim``: read as it is, its capital I is an l)."""
    return skeleton(one) == skeleton(other) or skeleton(one.lower()) == skeleton(other.lower())


def unmistakable(field: str, user_id: str) -> str:
    """``user_id`` when it reads one way (``mistakable``); else a refusal naming ``field``
    and ``RULE``, so nothing is recorded under it."""
    why = mistakable(user_id)
    if why is not None:
        raise InvalidInput(field, RULE, f"{field} {why}")
    return user_id


def not_read_as(field: str, user_id: str, known: Iterable[str], where: str) -> None:
    """Refuse ``user_id`` when it reads as one of ``known`` and is not it (``dr-1ee`` or
    ``NURSE-KIM`` beside ``dr-lee`` or ``nurse-kim``): the listing that shows them and the
    access log would show one person where there are two."""
    for other in sorted(set(known)):
        if other != user_id and read_alike(other, user_id):
            raise InvalidInput(
                field,
                RULE,
                f"{field} reads as {other}, {where}: an id differing only in characters drawn"
                " alike (I, l, 1, 0 and O, rn and m, capitals) is not told apart",
            )


def subject_asked(field: str, user_id: str) -> str:
    """A user asked about (whose reads, what they could see) as the gate reads a token's
    subject: trimmed, printable, 1 to ``ACTOR_ID_MAX`` characters. Taken as typed,
    ``" nurse-b "`` named nobody, and the answer read as nurse-b having read nothing."""
    user = user_id.strip()
    if not user:
        raise InvalidInput(field, "user-id", f"name the user in {field} (their token subject)")
    if len(user) > ACTOR_ID_MAX or not user.isprintable():
        raise InvalidInput(
            field,
            "user-id",
            f"{field} is a token's subject: printable text of 1 to {ACTOR_ID_MAX} characters",
        )
    return user


def _unnormal(user_id: str) -> str:
    for at, ch in enumerate(user_id):
        plain = unicodedata.normalize("NFKC", ch)
        if plain != ch:
            return f"holds {_named(ch)} at {at}, which Unicode writes {plain!r}: {ACCEPTED}"
    return f"writes an accent apart from its letter, or marks out of order: {ACCEPTED}"


def _script(ch: str) -> str:
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    return _NAMED_AS.get(first, first)


def _named(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}".rstrip()
