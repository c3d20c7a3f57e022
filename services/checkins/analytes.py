"""The analytes a drug screen may report, so that a typo can never hide a result from the
alert rules that read them (rules match on these names), and the analyte a substance a
client reports using stands for, so the medication rules count reported use as a screen's.

A presumptive immunoassay reports opioids as a class (``opiates``); a definitive test names
each one, as the HHS Mandatory Guidelines' opioid panel does (codeine, morphine, 6-MAM,
hydrocodone, hydromorphone, oxycodone, oxymorphone; 82 FR 7920, 2017): 6-MAM, heroin's own
metabolite, is what tells heroin from prescribed morphine or codeine."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from unicodedata import category, normalize

from carecoord.services.kernel.errors import InvalidInput

ANALYTES = frozenset(
    {
        "6-mam",
        "alcohol",
        "amphetamines",
        "barbiturates",
        "benzodiazepines",
        "buprenorphine",
        "cannabinoids",
        "cocaine",
        "codeine",
        "eddp",
        "etg",
        "ets",
        "fentanyl",
        "gabapentin",
        "hydrocodone",
        "hydromorphone",
        "mdma",
        "methadone",
        "methamphetamine",
        "morphine",
        "norbuprenorphine",
        "norfentanyl",
        "opiates",
        "oxycodone",
        "oxymorphone",
        "pcp",
        "tramadol",
        "xylazine",
        "zolpidem",
    }
)


def normal_name(name: str) -> str:
    """``name`` as a reader sees it (NFKC, so fullwidth letters are their own; invisible
    format characters, a zero-width space or a soft hyphen, left out), in lower case with
    its words joined by one hyphen, however they were separated (spaces, hyphens,
    underscores) and without a full stop after it: "6 MAM", "6-mam" and "6-MAM." are one
    name, and heroin with a zero-width space in it, which every reader sees as heroin, is
    heroin."""
    seen = "".join(c for c in normalize("NFKC", name) if category(c) != "Cf").strip()
    return "-".join(seen.rstrip(".").lower().replace("_", " ").replace("-", " ").split())


def analyte(name: str, field: str) -> str:
    """The panel's name for ``name`` (case and separators ignored, ``normal_name``), or a
    refusal listing them."""
    normal = normal_name(name)
    if normal not in ANALYTES:
        raise InvalidInput(
            field,
            "unknown-analyte",
            f"{name!r} is not a known analyte; known: " + ", ".join(sorted(ANALYTES)),
        )
    return normal


REPORTED_AS: Mapping[str, str] = {
    **{name: name for name in ANALYTES},
    "heroin": "opiates",
    "opiate": "opiates",
    "opioid": "opiates",
    "opioids": "opiates",
    "fent": "fentanyl",
    "fetty": "fentanyl",
    "duragesic": "fentanyl",
    "sublimaze": "fentanyl",
    "actiq": "fentanyl",
    "fentora": "fentanyl",
    "tranq": "xylazine",
    "oxycontin": "oxycodone",
    "percocet": "oxycodone",
    "roxicodone": "oxycodone",
    "norco": "hydrocodone",
    "vicodin": "hydrocodone",
    "lortab": "hydrocodone",
    "dilaudid": "hydromorphone",
    "ms-contin": "morphine",
    "opana": "oxymorphone",
    "ultram": "tramadol",
    "dolophine": "methadone",
    "methadose": "methadone",
    "suboxone": "buprenorphine",
    "subutex": "buprenorphine",
    "zubsolv": "buprenorphine",
    "neurontin": "gabapentin",
    "amphetamine": "amphetamines",
    "adderall": "amphetamines",
    "cannabinoid": "cannabinoids",
    "beer": "alcohol",
    "wine": "alcohol",
    "liquor": "alcohol",
    "spirits": "alcohol",
    "ethanol": "alcohol",
    "drinking": "alcohol",
    "etoh": "alcohol",
    "booze": "alcohol",
    "vodka": "alcohol",
    "whiskey": "alcohol",
    "whisky": "alcohol",
    "rum": "alcohol",
    "gin": "alcohol",
    "tequila": "alcohol",
    "benzodiazepine": "benzodiazepines",
    "benzo": "benzodiazepines",
    "benzos": "benzodiazepines",
    "xanax": "benzodiazepines",
    "alprazolam": "benzodiazepines",
    "valium": "benzodiazepines",
    "diazepam": "benzodiazepines",
    "klonopin": "benzodiazepines",
    "clonazepam": "benzodiazepines",
    "ativan": "benzodiazepines",
    "lorazepam": "benzodiazepines",
    "restoril": "benzodiazepines",
    "temazepam": "benzodiazepines",
    "halcion": "benzodiazepines",
    "triazolam": "benzodiazepines",
    "librium": "benzodiazepines",
    "chlordiazepoxide": "benzodiazepines",
    "ambien": "zolpidem",
    "barbiturate": "barbiturates",
    "barbs": "barbiturates",
    "phenobarbital": "barbiturates",
    "butalbital": "barbiturates",
    "fioricet": "barbiturates",
    "fiorinal": "barbiturates",
}
"""What a check-in's free-text substance names, as the analyte a screen would find: a client
who says they used heroin yesterday is as opioid-exposed to naltrexone as a positive screen
shows, one who drank this morning as unready for disulfiram, one who took Xanax or
phenobarbital as exposed to a depressant when methadone is written, one who used fentanyl
as at the overdose risk a fentanyl-positive screen shows. Keys are ``normal_name`` names. Brand
names stand for their drug (Duragesic, Sublimaze, Actiq, Fentora are fentanyl; Norco and
Vicodin hydrocodone, Dilaudid hydromorphone, Restoril a benzodiazepine, Fioricet a
barbiturate: one who took Norco is as opioid-exposed to naltrexone as one who said
hydrocodone), a drink by its name or as a chart writes it (vodka, whiskey, EtOH), and a
class the panel names in the plural by its singular too (a benzodiazepine); street names
are listed only where they mean the one drug: fent, and fetty (among the commonest fentanyl
terms the NDEWS Sentinel Sites reported), tranq for xylazine (CDC, What You Should Know About
Xylazine); not China White (heroin before it was fentanyl), Apache, blues or other words
with an everyday or a second drug's meaning. A name not listed counts for no medication rule
(the alert on reported use still reads it)."""


LISTED_APART = re.compile(r"[,;/]")
"""What separates several substances written in one entry."""


def reported(substances: Iterable[str]) -> frozenset[str]:
    """The analytes the substances a client reported using stand for: case and separators
    ignored (``normal_name``), an entry listing several ("heroin, xanax", "fentanyl/heroin")
    read as each, and a plural by its one trailing s (fentanyls, beers) when the name as
    written is not listed; nothing nearer is guessed, as a near miss may be another drug."""
    found = (_listed(normal_name(name)) for s in substances for name in LISTED_APART.split(s))
    return frozenset(REPORTED_AS[name] for name in found if name is not None)


def _listed(name: str) -> str | None:
    if name in REPORTED_AS:
        return name
    single = name.removesuffix("s")
    return single if single in REPORTED_AS else None
