"""The side effects a check-in reports that are signs of too much opioid: sedation and slowed
breathing, the warning of an overdose on methadone or buprenorphine (most deaths on methadone
come in the first weeks, as it accumulates; SAMHSA TIP 63 asks for an assessment for sedation
before each dose and a dose held while it shows).

A client writes their side effects in their own words, so a sign is read wherever its words
stand in an entry, whole words in order, case and separators ignored ("very drowsy today",
"Nodding-off"), punctuation ending a word ("Drowsy, dizzy", which read as no sign: the
comma stayed on the word); nothing nearer is guessed. A mention the client denies reports
nothing: a word of denial (``NEGATIONS``: no, not, denies, without...) right before it in
its clause, with only ``FILLERS`` between ("no sedation", "denies any drowsiness", "not
feeling drowsy"). Version 2 of the rule raised the alert on those, which taught readers to
dismiss it.
Anything else before the sign leaves it reported ("no appetite drowsy", "not sure why so
drowsy", "drowsy, no nausea"): a sign a clinician dismisses costs a note, one missed may
cost a life.
A denial carries over the list it opens, its items joined by commas and closed by "or" or
"nor" ("no sedation or slowed breathing", "denies drowsiness, slurred speech or nodding",
"neither drowsy nor nodding off"): each item is denied, a sign standing first in its item
(``FILLERS`` before it). Version 4 of the rule denied the first item alone, and raised the
alert on the others. The list ends at a clause's end: a full stop, semicolon and the like,
or a word that turns it (``TURNS``: "no sedation but slurred speech" tells of slurred
speech), and with its item after "or" ("no nausea or vomiting, nodding off" tells of
nodding). Commas alone make no list: "no nausea, nodding off" may be two entries as well,
and tells of nodding. Nor does a denial past the third word of its item, or one that hedges
(``HEDGES``: "don't know, drowsy or nodding"), nor an item of more than ``ITEM_WORDS``
words, which is a sentence of its own."""

from __future__ import annotations

import re
from collections.abc import Iterable

from carecoord.services.checkins.analytes import normal_name

SIGNS: dict[str, tuple[str, ...]] = {
    "sedation": (
        "sedation",
        "sedated",
        "oversedated",
        "drowsy",
        "drowsiness",
        "somnolence",
        "somnolent",
        "nodding",
        "nodding off",
        "nodding out",
        "falling asleep",
        "hard to stay awake",
        "can't stay awake",
        "cannot stay awake",
        "hard to wake",
        "passed out",
        "passing out",
        "slurred speech",
    ),
    "slowed breathing": (
        "slow breathing",
        "slowed breathing",
        "shallow breathing",
        "trouble breathing",
        "difficulty breathing",
        "breathing problems",
        "respiratory depression",
    ),
}
"""Each sign and the words that report it, as a reader writes them."""

NEGATIONS = frozenset({
    "no", "not", "never", "none", "neither", "nor", "deny", "denies", "denied", "denying",
    "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "haven't", "hasn't",
})  # fmt: skip
"""Words that deny the sign after them; not "without", which also tells of it ("can't drive
without falling asleep")."""
FILLERS = frozenset({"any", "more", "longer", "feeling", "feel", "felt", "been", "being",
                     "signs", "sign", "symptoms", "of"})  # fmt: skip
"""Words that may stand between a denial and the sign it denies."""

TURNS = frozenset({"but", "however", "though", "although", "yet", "except", "apart"})
"""Words that end a clause as a full stop does: a denial before them carries no further."""
HEDGES = frozenset({"know", "sure", "think", "remember", "recall", "certain", "care", "mind"})
"""Words after a denial that make it no denial of a list ("not sure, drowsy or nodding")."""
ITEM_WORDS = 4
"""The most words an item of a denied list has ("nodding off at work")."""
_JOINS = frozenset({",", "or", "nor"})
"""What joins a list's items; "and" does not ("no nausea and nodding off" may tell of it)."""

_WORDS = {sign: [normal_name(w).split("-") for w in words] for sign, words in SIGNS.items()}


def signs_reported(side_effects: Iterable[str]) -> tuple[str, ...]:
    """The signs (``SIGNS``) the side effects report, in the table's order."""
    clauses = [clause for entry in side_effects for clause in _clauses(entry)]
    return tuple(
        sign
        for sign, phrases in _WORDS.items()
        if any(_reported(phrase, clause) for phrase in phrases for clause in clauses)
    )


_PUNCTUATION = re.compile(r"[;:.!?()\[\]/]+")
"""What ends a clause in an entry (an apostrophe is in a word: can't); a comma is a word of
its own, which ends a word and joins a list's items."""


_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc\u0060\u00b4", "'"))
"""The apostrophes a phone or word processor types for ', read as it: "can\u2019t stay awake"
was no sign."""


def _clauses(entry: str) -> list[list[str]]:
    """The words of each clause of ``entry``, as ``normal_name`` reads them, a comma one of
    them; a word of ``TURNS`` ends a clause and is none of its words."""
    text = normal_name(entry).translate(_APOSTROPHES).replace(",", "-,-")
    clauses: list[list[str]] = [[]]
    for piece in _PUNCTUATION.split(text):
        for word in piece.split("-"):
            if word in TURNS:
                clauses.append([])
            elif word:
                clauses[-1].append(word)
        clauses.append([])
    return [words for words in clauses if words]


def _reported(phrase: list[str], words: list[str]) -> bool:
    """Whether ``phrase`` stands in ``words``, whole words in order, once not denied."""
    n = len(phrase)
    return any(
        words[i : i + n] == phrase and not _denied(words[:i]) and not _listed(words, i)
        for i in range(len(words) - n + 1)
    )


def _items(words: list[str]) -> list[tuple[bool, int, list[str]]]:
    """The items of a clause, as joined by ``_JOINS``: for each, whether "or" or "nor"
    joins it to the one before, where its first word stands in ``words``, and its words."""
    items: list[tuple[bool, int, list[str]]] = []
    joined, current = False, list[str]()
    for n, word in enumerate(words):
        if word in _JOINS:
            if current:
                joined, current = False, []
            joined = joined or word != ","
        else:
            if not current:
                items.append((joined, n, current))
            current.append(word)
    return items


def _listed(words: list[str], at: int) -> bool:
    """Whether the mention at ``at`` stands first in an item (fillers before it) of a list
    that a denial opens and "or" or "nor" closes, each item of it ``ITEM_WORDS`` or fewer."""
    items = _items(words)
    k = max((n for n, (_, start, _) in enumerate(items) if start <= at), default=0)
    _, start, mine = items[k]
    if k == 0 or any(word not in FILLERS for word in mine[: at - start]):
        return False
    opener = next((j for j in range(k - 1, -1, -1) if _opens(items[j][2])), None)
    if opener is None:
        return False
    closer = next((m for m in range(opener + 1, len(items)) if items[m][0]), None)
    return (
        closer is not None
        and k <= closer
        and all(len(item) <= ITEM_WORDS for _, _, item in items[opener + 1 : closer + 1])
    )


def _opens(item: list[str]) -> bool:
    """Whether ``item`` is a denial opening a list: a word of denial among its first three,
    then, fillers skipped, a first item of at most ``ITEM_WORDS`` words that does not hedge."""
    at = next((n for n, word in enumerate(item[:3]) if word in NEGATIONS), None)
    if at is None:
        return False
    rest = item[at + 1 :]
    while rest and rest[0] in FILLERS:
        rest = rest[1:]
    return 0 < len(rest) <= ITEM_WORDS and rest[0] not in HEDGES


def _denied(before: list[str]) -> bool:
    """Whether the words before a mention end with a denial, fillers skipped."""
    rest = list(before)
    while rest and rest[-1] in FILLERS:
        rest.pop()
    return bool(rest) and rest[-1] in NEGATIONS
