"""The medications a program prescribes, with their codes, units, routes and forms.

Codes: RxNorm ingredient RXCUI and WHO ATC, as listed in the domain reference (sources:
the smart-on-fhir cumulus-library-opioid value sets, rxreasoner ATC pages, openFDA).
A program extends the table through configuration; ``None`` marks a code not yet verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from carecoord.services.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Medication:
    code: str
    name: str
    rxnorm: str | None
    atc: str | None
    unit: str
    routes: tuple[str, ...]
    forms: tuple[str, ...]
    classes: frozenset[str]


def _med(
    code: str,
    name: str,
    rxnorm: str | None,
    atc: str | None,
    unit: str,
    routes: tuple[str, ...],
    forms: tuple[str, ...],
    *classes: str,
) -> Medication:
    return Medication(code, name, rxnorm, atc, unit, routes, forms, frozenset(classes))


FORMULARY: dict[str, Medication] = {
    m.code: m
    for m in (
        _med(
            "methadone",
            "Methadone",
            "6813",
            "N07BC02",
            "mg",
            ("oral",),
            ("oral solution", "tablet"),
            "opioid_agonist",
            "qt_prolonging",
            "serotonergic_opioid",
        ),
        _med(
            "buprenorphine",
            "Buprenorphine",
            "1819",
            "N07BC01",
            "mg",
            ("sublingual",),
            ("sublingual tablet", "sublingual film"),
            "opioid_agonist",
            "partial_agonist",
        ),
        _med(
            "buprenorphine-naloxone",
            "Buprenorphine/naloxone",
            "352364",
            "N07BC51",
            "mg",
            ("sublingual",),
            ("sublingual film", "sublingual tablet"),
            "opioid_agonist",
            "partial_agonist",
        ),
        _med(
            "buprenorphine-xr",
            "Buprenorphine extended-release injection",
            "1819",
            "N07BC01",
            "mg",
            ("subcutaneous",),
            ("injection",),
            "opioid_agonist",
            "partial_agonist",
        ),
        _med(
            "naltrexone",
            "Naltrexone",
            "7243",
            "N07BB04",
            "mg",
            ("oral",),
            ("tablet",),
            "opioid_antagonist",
        ),
        _med(
            "naltrexone-xr",
            "Naltrexone extended-release injectable",
            "7243",
            "N07BB04",
            "mg",
            ("intramuscular",),
            ("injection",),
            "opioid_antagonist",
        ),
        _med(
            "disulfiram",
            "Disulfiram",
            "3554",
            "N07BB01",
            "mg",
            ("oral",),
            ("tablet",),
            "disulfiram",
        ),
        _med(
            "acamprosate",
            "Acamprosate",
            None,
            "N07BB03",
            "mg",
            ("oral",),
            ("delayed-release tablet",),
            "acamprosate",
        ),
        _med(
            "sertraline",
            "Sertraline",
            "36437",
            "N06AB06",
            "mg",
            ("oral",),
            ("tablet",),
            "ssri",
            "serotonergic",
        ),
        _med(
            "escitalopram",
            "Escitalopram",
            "321988",
            "N06AB10",
            "mg",
            ("oral",),
            ("tablet",),
            "ssri",
            "serotonergic",
            "qt_prolonging",
        ),
        _med(
            "bupropion",
            "Bupropion",
            "42347",
            "N06AX12",
            "mg",
            ("oral",),
            ("tablet",),
            "antidepressant",
        ),
        _med(
            "lorazepam",
            "Lorazepam",
            "6470",
            "N05BA06",
            "mg",
            ("oral",),
            ("tablet",),
            "benzodiazepine",
            "cns_depressant",
        ),
        _med(
            "lithium",
            "Lithium carbonate",
            "6448",
            "N05AN01",
            "mg",
            ("oral",),
            ("capsule",),
            "mood_stabilizer",
        ),
        _med(
            "trazodone",
            "Trazodone",
            "10737",
            "N06AX05",
            "mg",
            ("oral",),
            ("tablet",),
            "serotonergic",
            "sleep_aid",
            "cns_depressant",
        ),
    )
}


def lookup(code: str, field: str = "medication") -> Medication:
    try:
        return FORMULARY[code]
    except KeyError:
        known = ", ".join(sorted(FORMULARY))
        raise InvalidInput(
            field, "not-in-formulary", f"{code!r} is not in the formulary; known: {known}"
        ) from None
