"""The analytes a drug screen may report, so that a typo can never hide a result from the
alert rules that read them (rules match on these names)."""

from __future__ import annotations

from carecoord.services.kernel.errors import InvalidInput

ANALYTES = frozenset(
    {
        "alcohol",
        "amphetamines",
        "barbiturates",
        "benzodiazepines",
        "buprenorphine",
        "cannabinoids",
        "cocaine",
        "eddp",
        "etg",
        "ets",
        "fentanyl",
        "gabapentin",
        "mdma",
        "methadone",
        "methamphetamine",
        "norbuprenorphine",
        "norfentanyl",
        "opiates",
        "oxycodone",
        "pcp",
        "tramadol",
        "xylazine",
    }
)


def analyte(name: str, field: str) -> str:
    """The panel's name for ``name`` (case and spaces ignored), or a refusal listing them."""
    normal = name.strip().lower().replace(" ", "_")
    if normal not in ANALYTES:
        raise InvalidInput(
            field,
            "unknown-analyte",
            f"{name!r} is not a known analyte; known: " + ", ".join(sorted(ANALYTES)),
        )
    return normal
