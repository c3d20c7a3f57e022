"""What check-ins recorded that the medication rules read: the latest QTc, which QT-aware
rules are judged on, the latest creatinine clearance, which renal rules are, and the drug
screens that found a substance, which count as exposure.

A positive screen is evidence of use whatever was prescribed: an opioid found before
naltrexone starts precipitates withdrawal as a prescribed one would (the label
contraindicates naltrexone with an opioid-positive urine screen), alcohol found before
disulfiram starts is what the disulfiram-alcohol rule is about, and a benzodiazepine, a
barbiturate or alcohol found when methadone or buprenorphine is written or raised is the
opioid-sedative interaction a prescribed benzodiazepine is (FDA's boxed warning: managed, not
withheld; barbiturates and Z-drugs are among the CNS depressants of domain.md section 5).
Zolpidem, which a definitive panel reports and a client names as Ambien, counts as a
prescribed one does: for its day, with no washout, as it acts for hours.
The analytes such a screen found enter the picture as one entry for each set of classes
they stand for (the screen's id, the analytes' names: opiates and oxycodone are one, as the
rules read them alike), acting through the day its specimen was collected, and a rule's
washout for those classes counts from there, as it does after an order's last dose: one entry
for the whole screen gave fentanyl found beside a benzodiazepine the benzodiazepine's week,
and named every analyte found in a finding that met one ("disulfiram + benzodiazepines,
etg").
An analyte the client's own treatment explains (methadone or EDDP while methadone is in the
picture, buprenorphine or its metabolite while buprenorphine is) adds nothing the order does
not already; found without it, it is diverted or street methadone or buprenorphine, and
counts as that.
Analytes no rule reads (cannabinoids, stimulants) are left to the alert rules on screens.
Use the client reports at a check-in (heroin, alcohol, Xanax) counts as the analyte a screen
would have found, through the day it was reported: waiting for a screen to say what the
client already said would start naltrexone into withdrawal or disulfiram into a reaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from carecoord.events.medication import ClearanceEvidence, QtcEvidence
from carecoord.services.checkins.record import CheckInRecord, PositiveScreen
from carecoord.services.medication.interactions import Entry
from carecoord.services.medication.rules import MedicationRules

_OPIOID = frozenset({"opioid"})
_METHADONE = frozenset({"opioid", "methadone"})
_BUPRENORPHINE = frozenset({"opioid", "buprenorphine"})
_ALCOHOL = frozenset({"alcohol_containing", "cns_depressant"})
_BENZODIAZEPINE = frozenset({"benzodiazepine", "cns_depressant"})
_BARBITURATE = frozenset({"barbiturate", "cns_depressant"})
_SEDATIVE = frozenset({"cns_depressant"})

SCREENED_CLASSES: Mapping[str, frozenset[str]] = {
    "opiates": _OPIOID,
    "6-mam": _OPIOID,
    "morphine": _OPIOID,
    "codeine": _OPIOID,
    "hydrocodone": _OPIOID,
    "hydromorphone": _OPIOID,
    "oxymorphone": _OPIOID,
    "fentanyl": _OPIOID,
    "norfentanyl": _OPIOID,
    "oxycodone": _OPIOID,
    "tramadol": _OPIOID,
    "methadone": _METHADONE,
    "eddp": _METHADONE,
    "buprenorphine": _BUPRENORPHINE,
    "norbuprenorphine": _BUPRENORPHINE,
    "benzodiazepines": _BENZODIAZEPINE,
    "barbiturates": _BARBITURATE,
    "zolpidem": _SEDATIVE,
    "alcohol": _ALCOHOL,
    "etg": _ALCOHOL,
    "ets": _ALCOHOL,
}
"""The interaction classes a positive analyte stands for (``interactions.py`` rules)."""

EXPLAINED_BY: Mapping[str, str] = {
    "methadone": "methadone",
    "eddp": "methadone",
    "buprenorphine": "buprenorphine",
    "norbuprenorphine": "buprenorphine",
}
"""An analyte and the class of the treatment that, in the picture, accounts for it."""


@dataclass(frozen=True, slots=True)
class Monitored:
    """The check-in evidence one prescribing step is judged on."""

    qtc: QtcEvidence | None = None
    screens: tuple[PositiveScreen, ...] = ()
    clearance: ClearanceEvidence | None = None

    @classmethod
    def of(cls, record: CheckInRecord) -> Monitored:
        return cls(record.latest_qtc, tuple(record.positive_screens), record.latest_clearance)

    def exposures(self, rules: MedicationRules, picture: Iterable[Entry]) -> list[Entry]:
        """The analytes the screens found as picture entries, one for each set of classes a
        screen's analytes stand for, leaving out those an entry of ``picture`` explains."""
        treated = frozenset(c for entry in picture for c in entry.classes)
        entries = []
        for screen in self.screens:
            day = rules.day_of(screen.collected_at)
            basis = (
                f"use reported at a check-in {day}"
                if screen.self_reported
                else f"positive drug screen collected {day}"
            )
            by_classes: dict[frozenset[str], list[str]] = {}
            for a in sorted(screen.analytes):
                if a in SCREENED_CLASSES and EXPLAINED_BY.get(a) not in treated:
                    by_classes.setdefault(SCREENED_CLASSES[a], []).append(a)
            entries += [
                Entry(screen.screen_id, ", ".join(found), classes, through=day, basis=basis)
                for classes, found in by_classes.items()
            ]
        return entries


NOTHING = Monitored()
"""No QTc, no positive screen and no creatinine clearance on record."""
