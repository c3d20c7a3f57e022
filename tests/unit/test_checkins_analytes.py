"""A substance a client reports is matched to its analyte whatever its case, separators or
plural, and only as listed: "Fentanyls" and "fent" were fentanyl to no rule, "6 MAM" was no
analyte, while a near miss must stay unmatched (it may be another drug)."""

from __future__ import annotations

import pytest

from carecoord.services.checkins.analytes import REPORTED_AS, analyte, reported
from carecoord.services.kernel.errors import InvalidInput


@pytest.mark.parametrize(
    "said",
    ["fentanyl", " Fentanyl ", "FENTANYL", "fentanyls", "Fent", "fents", "fetty", "Duragesic"],
)
def test_fentanyl_as_a_client_may_write_it(said: str) -> None:
    assert reported([said]) == {"fentanyl"}


def test_separators_and_plurals_are_ignored_within_bounds() -> None:
    assert reported(["6 MAM", "6_mam", "6 - mam"]) == {"6-mam"}
    assert reported(["Tranq", "beers", "benzos", "Xanax"]) == {
        "xylazine",
        "alcohol",
        "benzodiazepines",
    }


@pytest.mark.parametrize(
    ("said", "found"),
    [("EtOH", "alcohol"), ("vodka", "alcohol"), ("Whiskey", "alcohol"), ("tequila", "alcohol"),
     ("benzodiazepine", "benzodiazepines"), ("amphetamine", "amphetamines")],
)  # fmt: skip
def test_a_drink_by_its_name_and_a_class_in_the_singular(said: str, found: str) -> None:
    """A nurse charts EtOH, a client writes vodka or one benzodiazepine: each stood for
    nothing, so disulfiram or methadone written that day met no finding."""
    assert reported([said]) == {found}


@pytest.mark.parametrize(
    "said",
    ["fentanil", "fentanylss", "fen tanyl", "china white", "blues", "apache", "s", "tranq-dope"],
)
def test_a_name_not_listed_stands_for_nothing(said: str) -> None:
    assert reported([said]) == frozenset()


def test_every_listed_name_is_written_as_it_is_matched() -> None:
    """A key with a capital or a space would never match, as input is normalised first."""
    assert [k for k in REPORTED_AS if reported([k]) != {REPORTED_AS[k]}] == []
    assert [k for k in REPORTED_AS if k != k.lower() or " " in k or "_" in k] == []


def test_a_screen_analyte_takes_any_separator_and_refuses_a_plural() -> None:
    assert analyte("6 MAM", "results.0.analyte") == "6-mam"
    with pytest.raises(InvalidInput):
        analyte("fentanyls", "results.0.analyte")


@pytest.mark.parametrize(
    "said",
    [
        "her\u200boin",  # a zero-width space: every reader sees heroin
        "he\u00adroin",  # a soft hyphen, drawn only at a line's end
        "heroin\u200d",
        "\uff48\uff45\uff52\uff4f\uff49\uff4e",  # fullwidth letters
        "Heroin.",
    ],
)
def test_heroin_as_every_reader_sees_it_is_heroin(said: str) -> None:
    """Each was recorded as said, shown as heroin, and counted for no medication rule:
    naltrexone was written after the check-in with no hard stop."""
    assert reported([said]) == {"opiates"}


@pytest.mark.parametrize("said", ["heroin, xanax", "heroin; Xanax", "heroin/xanax"])
def test_an_entry_listing_several_substances_counts_each(said: str) -> None:
    assert reported([said]) == {"opiates", "benzodiazepines"}


def test_a_screen_analyte_with_an_invisible_character_is_the_analyte() -> None:
    assert analyte("fent\u200banyl", "results.0.analyte") == "fentanyl"
