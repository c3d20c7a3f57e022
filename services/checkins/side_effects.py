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
cost a life."""

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
    "no", "not", "never", "none", "deny", "denies", "denied", "denying",
    "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "haven't", "hasn't",
})  # fmt: skip
"""Words that deny the sign after them; not "without", which also tells of it ("can't drive
without falling asleep")."""
FILLERS = frozenset({"any", "more", "longer", "feeling", "feel", "felt", "been", "being",
                     "signs", "sign", "symptoms", "of"})  # fmt: skip
"""Words that may stand between a denial and the sign it denies."""

_WORDS = {sign: [normal_name(w).split("-") for w in words] for sign, words in SIGNS.items()}


def signs_reported(side_effects: Iterable[str]) -> tuple[str, ...]:
    """The signs (``SIGNS``) the side effects report, in the table's order."""
    clauses = [clause for entry in side_effects for clause in _clauses(entry)]
    return tuple(
        sign
        for sign, phrases in _WORDS.items()
        if any(_reported(phrase, clause) for phrase in phrases for clause in clauses)
    )


_PUNCTUATION = re.compile(r"[,;:.!?()\[\]/]+")
"""What ends a clause in an entry (an apostrophe is in a word: can't)."""


_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc\u0060\u00b4", "'"))
"""The apostrophes a phone or word processor types for ', read as it: "can\u2019t stay awake"
was no sign."""


def _clauses(entry: str) -> list[list[str]]:
    """The words of each clause of ``entry``, as ``normal_name`` reads them."""
    pieces = _PUNCTUATION.split(normal_name(entry).translate(_APOSTROPHES))
    return [words for piece in pieces if (words := [w for w in piece.split("-") if w])]


def _reported(phrase: list[str], words: list[str]) -> bool:
    """Whether ``phrase`` stands in ``words``, whole words in order, once not denied."""
    n = len(phrase)
    return any(
        words[i : i + n] == phrase and not _denied(words[:i]) for i in range(len(words) - n + 1)
    )


def _denied(before: list[str]) -> bool:
    """Whether the words before a mention end with a denial, fillers skipped."""
    rest = list(before)
    while rest and rest[-1] in FILLERS:
        rest.pop()
    return bool(rest) and rest[-1] in NEGATIONS
