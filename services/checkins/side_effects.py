"""The side effects a check-in reports that are signs of too much opioid: sedation and slowed
breathing, the warning of an overdose on methadone or buprenorphine (most deaths on methadone
come in the first weeks, as it accumulates; SAMHSA TIP 63 asks for an assessment for sedation
before each dose and a dose held while it shows).

A client writes their side effects in their own words, so a sign is read wherever its words
stand in an entry, whole words in order, case and separators ignored ("very drowsy today",
"Nodding-off"), punctuation ending a word ("Drowsy, dizzy", which read as no sign: the
comma stayed on the word); nothing nearer is guessed. An entry that says the sign is absent ("no
drowsiness") reads as reporting it too: a sign a clinician dismisses costs a note, one
missed may cost a life."""

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

_WORDS = {sign: [normal_name(w).split("-") for w in words] for sign, words in SIGNS.items()}


def signs_reported(side_effects: Iterable[str]) -> tuple[str, ...]:
    """The signs (``SIGNS``) the side effects report, in the table's order."""
    clauses = [clause for entry in side_effects for clause in _clauses(entry)]
    return tuple(
        sign
        for sign, phrases in _WORDS.items()
        if any(_within(phrase, clause) for phrase in phrases for clause in clauses)
    )


_PUNCTUATION = re.compile(r"[,;:.!?()\[\]/]+")
"""What ends a clause in an entry (an apostrophe is in a word: can't)."""


def _clauses(entry: str) -> list[list[str]]:
    """The words of each clause of ``entry``, as ``normal_name`` reads them."""
    pieces = _PUNCTUATION.split(normal_name(entry))
    return [words for piece in pieces if (words := [w for w in piece.split("-") if w])]


def _within(phrase: list[str], words: list[str]) -> bool:
    """Whether ``phrase`` stands in ``words``, whole words in order."""
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))
