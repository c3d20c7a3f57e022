"""An id a person is known by reads one way: one that reads as another's is refused, naming
the character at fault and never echoing the id."""

from __future__ import annotations

import pytest

from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.user_ids import RULE, mistakable, skeleton, unmistakable

READ_ONE_WAY = [
    "nurse-anna",
    "dr-lee",
    "Dr.O'Brien",
    "ana.garcia+otp@example.org",
    "0b3c7a52-4f0e-4c51-9d1a-6d3a0f6b8e11",
    "nurse_42",
    "admin-North OTP",
    "\u043c\u0430\u0440\u0438\u044f",  # мария, Cyrillic
    "\u7530\u4e2d",  # 田中, Han
    "\u7530\u4e2d\u3055\u304f\u3089",  # 田中さくら, Han and Hiragana: Japanese
    "\uae40\ubbfc\uc218",  # 김민수, Hangul
    "\u0645\u062d\u0645\u062f",  # محمد, Arabic
    "\u0928\u092e\u0938\u094d\u0924\u0947",  # नमस्ते, Devanagari with its vowel signs
    "\u1f08\u03bb\u03ad\u03be\u03b1\u03bd\u03b4\u03c1\u03bf\u03c2",  # Ἀλέξανδρος, Greek
    "jos\u00e9-m\u00fcller",  # josé-müller, accents composed
    "s\u00f8ren.\u0142ukasz",  # søren.łukasz
]


@pytest.mark.parametrize("user_id", READ_ONE_WAY)
def test_ids_of_one_script_in_normal_form_are_taken(user_id: str) -> None:
    assert mistakable(user_id) is None
    assert unmistakable("memberId", user_id) == user_id


@pytest.mark.parametrize(
    ("user_id", "named"),
    [
        ("nurse-\u0430nna", "U+0430 CYRILLIC SMALL LETTER A at 6 among Latin letters"),
        ("dr-l\u03b5e", "U+03B5 GREEK SMALL LETTER EPSILON at 4 among Latin letters"),
        ("\u0441ergei", "U+0065 LATIN SMALL LETTER E at 1 among Cyrillic letters"),
    ],
    ids=["cyrillic-a-in-latin", "greek-epsilon-in-latin", "latin-in-cyrillic"],
)
def test_letters_of_two_scripts_are_refused(user_id: str, named: str) -> None:
    why = mistakable(user_id)
    assert why is not None
    assert named in why
    assert "one script" in why


@pytest.mark.parametrize(
    ("user_id", "named"),
    [
        ("\uff4eurse-anna", "U+FF4E FULLWIDTH LATIN SMALL LETTER N at 0, which Unicode writes 'n'"),
        ("nurse-anna\uff11", "U+FF11 FULLWIDTH DIGIT ONE"),
        ("\ufb01nn", "U+FB01 LATIN SMALL LIGATURE FI"),
        ("\u2160van", "U+2160 ROMAN NUMERAL ONE"),
        ("nurse-anna\u00b2", "U+00B2 SUPERSCRIPT TWO"),
        ("jose\u0301", "an accent apart from its letter"),
    ],
    ids=["fullwidth-letter", "fullwidth-digit", "ligature", "roman-numeral", "superscript",
         "decomposed-accent"],
)  # fmt: skip
def test_compatibility_forms_are_refused_naming_the_plain_one(user_id: str, named: str) -> None:
    why = mistakable(user_id)
    assert why is not None
    assert named in why
    assert "NFKC" in why


@pytest.mark.parametrize(
    ("user_id", "named"),
    [
        ("nurse\u200danna", "U+200D ZERO WIDTH JOINER at 5"),
        ("nurse\u200banna", "U+200B ZERO WIDTH SPACE at 5"),
        ("nurse-anna\u2060", "U+2060 WORD JOINER at 10"),
        ("\u202eanna-esrun", "U+202E RIGHT-TO-LEFT OVERRIDE at 0"),
        ("nurse\u2066anna", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("nurse\u00adanna", "U+00AD SOFT HYPHEN"),
        ("anna\ufe0f", "U+FE0F VARIATION SELECTOR-16"),
        ("an\u034fna", "U+034F COMBINING GRAPHEME JOINER"),
        ("\u0301anna", "U+0301 COMBINING ACUTE ACCENT at 0"),
        ("anna\u1160", "U+1160 HANGUL JUNGSEONG FILLER"),
        ("dr  lee", "U+0020 SPACE at 3"),
        (" anna", "U+0020 SPACE at 0"),
        ("anna ", "U+0020 SPACE at 4"),
        ("dr\tlee", "U+0009"),
    ],
    ids=["zwj", "zwsp", "word-joiner", "rtl-override", "isolate", "soft-hyphen",
         "variation-selector", "grapheme-joiner", "mark-on-nothing", "hangul-filler",
         "two-spaces", "leading-space", "trailing-space", "tab"],
)  # fmt: skip
def test_invisible_and_spacing_characters_are_refused(user_id: str, named: str) -> None:
    why = mistakable(user_id)
    assert why is not None
    assert named in why
    assert "nothing invisible" in why


@pytest.mark.parametrize(
    ("user_id", "named"),
    [
        ("dr\u2010lee", "U+2010 HYPHEN"),
        ("nurse-anna-\u0663", "U+0663 ARABIC-INDIC DIGIT THREE"),
        ("\u0251nna", "U+0251 LATIN SMALL LETTER ALPHA at 0, a letter of no everyday spelling"),
        ("d\u1d0f-lee", "U+1D0F LATIN LETTER SMALL CAPITAL O"),
        ("\ua4ee\ua4f0", "U+A4EE LISU LETTER A at 0, a letter of no everyday spelling"),
    ],
    ids=["unicode-hyphen", "other-digits", "latin-alpha", "small-capital", "lisu"],
)
def test_signs_and_letters_drawn_like_plain_ones_are_refused(user_id: str, named: str) -> None:
    why = mistakable(user_id)
    assert why is not None
    assert named in why


@pytest.mark.parametrize(
    ("user_id", "script"),
    [
        ("\u0458\u043e\u0435", "Cyrillic"),  # reads as joe
        ("\u043e\u0441\u043a\u0430\u0440-7", "Cyrillic"),  # reads as ockap
        ("\u03bd\u03b9\u03ba\u03bf", "Greek"),  # reads as viko
        ("\u0570\u0585", "Armenian"),  # reads as ho
    ],
)
def test_an_id_wholly_of_letters_drawn_like_latin_ones_is_refused(
    user_id: str, script: str
) -> None:
    assert mistakable(user_id) == (
        f"is written in {script} letters that are each drawn like a Latin one: it reads as a"
        " Latin id"
    )


def test_a_refusal_names_the_field_and_the_rule_and_not_the_id() -> None:
    with pytest.raises(InvalidInput) as refused:
        unmistakable("recipients.0.id", "nurse-\u0430nna")

    assert (refused.value.field, refused.value.rule) == ("recipients.0.id", RULE)
    assert refused.value.message.startswith("recipients.0.id holds U+0430")
    assert "nurse-\u0430nna" not in refused.value.message


@pytest.mark.parametrize(
    ("one", "other"),
    [("dr-lee", "dr-1ee"), ("dr-lee", "Dr-Lee"), ("dr-lee", "dr-Iee"), ("ola", "o|a"),
     ("nurse-ola", "nurse-0la"), ("corn", "com"), ("vvu", "wu")],
)  # fmt: skip
def test_ids_drawn_alike_share_a_skeleton(one: str, other: str) -> None:
    assert skeleton(one) == skeleton(other)


def test_ids_read_apart_keep_their_own_skeletons() -> None:
    ids = ["dr-kim", "dr-klm", "dr-lee", "dr-lea", "dr-lee-2", "anna", "ana"]
    assert len({skeleton(i) for i in ids}) == len(ids)
