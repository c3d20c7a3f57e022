"""The interaction and contraindication rule table, and the check over a medication picture.

Rules match drug classes (``formulary.py``), not single drugs, so a program that adds a
medication with the right classes gets the checks for free. Each rule carries its source
(from the domain reference, section 5) and a version that every finding records, so a
replay shows which rule fired and why. A program extends or overrides rules by id.

Rules look at exposure, not only at orders in force (``exposure.py``): a medication
stopped, or last given or taken home, still counts through its washout for a rule whose
risk outlasts the last dose. A rule's ``washouts`` say how many days past the end of an
exposure to a class it keeps counting, each with its source; a class with no washout
counts while it acts (a daily dose for its day, an injection for its interval).

FDA expects the opioid + benzodiazepine pair to be managed, not blocked (2017 safety
communication): it is high severity, needs an acknowledgement, and is never a hard stop,
whether the benzodiazepine (or barbiturate, or alcohol) was prescribed, found on a screen or
reported used.

Methadone or buprenorphine beside a full-agonist opioid prescribed for pain (oxycodone,
morphine, tramadol...; the ``opioid_analgesic`` class), here or from elsewhere, is the high
finding opioid-treatment-opioid-analgesic: an overdose risk on methadone and precipitated
withdrawal or a blunted analgesic on buprenorphine, acknowledged with the pain plan and never
a hard stop, as acute pain is treated beside the treatment, not instead of it (SAMHSA TIP 63).
An opioid found on a screen or reported used is no analgesic prescribed: the naltrexone rules
and the alert rules read it. Two methadone or buprenorphine treatments at once are
duplicate-opioid-treatment's.

Version 2 of opioid-serotonergic is an opioid beside a drug of the ``serotonergic`` class
(an antidepressant, a triptan, ondansetron: FDA's 2016 communication), which an opioid is
not (``formulary.SEROTONERGIC_OPIOID``); version 1 matched methadone, tramadol or fentanyl
beside any other opioid, a serotonin-syndrome finding for two opioids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from carecoord.events.medication import (
    ClearanceEvidence,
    ExposureEvidence,
    QtcEvidence,
    Severity,
)

FDA_OPIOID_BENZO = (
    "https://www.fda.gov/drugs/drug-safety-and-availability/fda-drug-safety-communication-fda-"
    "urges-caution-about-withholding-opioid-addiction-medications"
)
FDA_GABAPENTINOIDS = (
    "https://fda.gov/drugs/drug-safety-and-availability/fda-warns-about-serious-breathing-"
    "problems-seizure-and-nerve-pain-medicines-gabapentin-neurontin"
)
FDA_SEROTONIN = (
    "https://www.fda.gov/drugs/drug-safety-and-availability/fda-drug-safety-communication-fda-"
    "warns-about-several-safety-issues-opioid-pain-medicines-requires"
)
VIVITROL_LABEL = "https://globalrph.com/rx-list/vivitrol-drug"
METHADONE_LABEL = "https://www.pdr.net/drug-summary/Diskets-methadone-hydrochloride-3463"
KRANTZ_2009 = "https://pubmed.ncbi.nlm.nih.gov/19153406/"
ONC_LIST = "https://pmc.ncbi.nlm.nih.gov/articles/PMC9218784/table/T4 (Phansalkar 2012)"
LEAVITT = "https://docslib.org/doc/4880433/methadone-drug-interactions-page-2"
BUPRENORPHINE_LABEL = "https://www.pdr.net/drug-summary/Suboxone-buprenorphine-naloxone-1292"
TIP_63 = (
    "https://store.samhsa.gov/product/tip-63-medications-opioid-use-disorder/pep21-02-01-002"
    " (SAMHSA TIP 63, Part 3: acute pain on methadone or buprenorphine, the treatment continued"
    " and a full agonist added with the prescribers coordinated)"
)
DISULFIRAM_LABEL = "https://globalrph.com/rx-list/antabuse-drug"
DISULFIRAM_METRONIDAZOLE = "https://www.glowm.com/resources/glowm/cd/pages/drugs/d053.html"
DISULFIRAM_WARFARIN = "https://medicaldictionary.top/?p=11962"
VIVITROL_OPIOID_FREE = (
    "https://www.drugs.com/labeling-changes/July-2013/vivitrol-naltrexone-extended-release-"
    "injectable-suspension-3364.html (opioid-free 7-10 days; up to 2 weeks after buprenorphine"
    " or methadone)"
)
FLUOXETINE_WASHOUT = (
    "https://www.formulary.health.gov.on.ca/formulary/therapeuticNotes.xhtml?drugId=02385635"
    " (fluoxetine stopped 5 weeks before an irreversible MAOI; MAOI stopped 2 weeks before)"
)
MAOI_WASHOUT = (
    "https://www.alpfmedical.info/pharmacology/drug-interactions-pzw.html (2 weeks after an"
    " MAOI for tissue MAO to regenerate; 5 half-lives of an SSRI before an MAOI)"
)
METHADONE_MAOI = (
    "https://www.drugsinfo-bg.org/en/drugs-alphabet/methadone/when-not-to-use-methadone-and-"
    "interactions-with-other-medications/ (not within two weeks of stopping an MAOI)"
)
TRIPTAN_MAOI = (
    "https://uat.mimsdev.com/thailand/drug/info/siagran/contraindications (sumatriptan: not"
    " within 2 weeks of discontinuing an MAOI)"
)
ASAM_DRUG_TESTING = (
    "https://doi.org/10.1097/ADM.0000000000000323 (ASAM 2017, Appropriate Use of Drug Testing:"
    " intermediate-acting benzodiazepines found 1-5 days after use, long-acting up to 30 with"
    " regular use; EtG and EtS up to 5 days after drinking)"
)
SEROTONIN_SYNDROME = (
    "https://www.nejm.org/doi/full/10.1056/NEJMra041867 (Boyer and Shannon 2005, The serotonin"
    " syndrome: most cases follow two serotonergic drugs together, antidepressants among them)"
)
FLAGYL_LABEL = (
    "https://wikidoc.org./index.php/Metronidazole_contraindications (FDA label: not to"
    " patients who have taken disulfiram within the last two weeks)"
)


@dataclass(frozen=True, slots=True)
class Washout:
    """After an exposure to ``classes`` ends, a rule keeps counting it for ``days`` days."""

    classes: frozenset[str]
    days: int
    source: str


@dataclass(frozen=True, slots=True)
class QtcBand:
    """From ``from_ms`` of QTc up, a QT rule has this severity (until the next band)."""

    from_ms: int
    severity: Severity
    advice: str


QTC_SOURCE = f"{KRANTZ_2009} ; SAMHSA panel https://pubmed.ncbi.nlm.nih.gov/22026519/"
METHADONE_QTC_BANDS = (
    QtcBand(0, Severity.MODERATE, "QTc {qtc} ms (under 451): monitor"),
    QtcBand(451, Severity.MODERATE,
            "QTc {qtc} ms (451-499): discuss risk and benefit, monitor the ECG more often"),
    QtcBand(500, Severity.HIGH, "QTc {qtc} ms (500 or more): consider reducing or stopping"
            " methadone and removing contributing drugs"),
)  # fmt: skip
"""Krantz et al. 2009 and the SAMHSA panel (domain.md section 2.1). With no QTc on record
the rule keeps its table severity (high): the risk cannot be judged without an ECG."""
METHADONE_ALONE_QTC_BANDS = tuple(b for b in METHADONE_QTC_BANDS if b.from_ms > 0)
"""The same thresholds for methadone on its own: from 451 ms moderate, from 500 ms high.
Under 451 ms, or with no QTc on record, methadone alone gives no finding (the ECG schedule
is the care plan's; the pair rule asks for an ECG when a second QT drug meets it)."""


@dataclass(frozen=True, slots=True)
class QtcBands:
    """A program's own QTc bands for the QT-aware rules, signed off under an id and version
    (domain.md: thresholds are the medical director's, per program)."""

    id: str
    version: str
    source: str
    bands: tuple[QtcBand, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """A pair of drug classes that must not meet silently; or, with no ``classes_b``, a
    medication judged on the latest QTc alone (``alone``)."""

    id: str
    version: str
    severity: Severity
    classes_a: frozenset[str]
    classes_b: frozenset[str]
    risk: str
    source: str
    hard_stop: bool = False
    qtc_bands: tuple[QtcBand, ...] = ()
    washouts: tuple[Washout, ...] = ()

    def washout_days(self, exposed: frozenset[str]) -> int:
        """Days past the end of an exposure to these classes that the rule still counts."""
        return max((w.days for w in self.washouts if w.classes & exposed), default=0)

    @property
    def alone(self) -> bool:
        """A rule on one medication and the latest QTc, with no second drug."""
        return not self.classes_b

    def band(self, qtc: QtcEvidence | None) -> QtcBand | None:
        """The QTc band the client's latest QTc falls in, for a QT-aware rule (None under
        the first band of a rule whose bands do not start at 0 ms)."""
        if not self.qtc_bands or qtc is None:
            return None
        return max(
            (b for b in self.qtc_bands if b.from_ms <= qtc.qtc_ms),
            key=lambda b: b.from_ms,
            default=None,
        )

    def matches(self, first: frozenset[str], second: frozenset[str]) -> bool:
        return bool(
            (self.classes_a & first and self.classes_b & second)
            or (self.classes_a & second and self.classes_b & first)
        )


def _rule(id: str, severity: Severity, a: str, b: str, risk: str, source: str,
          *, hard_stop: bool = False, version: str = "1",
          qtc_bands: tuple[QtcBand, ...] = (),
          washouts: tuple[Washout, ...] = ()) -> Rule:  # fmt: skip
    return Rule(id, version, severity, frozenset(a.split()), frozenset(b.split()), risk, source,
                hard_stop, qtc_bands, washouts)  # fmt: skip


def _washout(classes: str, days: int, source: str) -> Washout:
    return Washout(frozenset(classes.split()), days, source)


OPIOID_FREE_MINIMUM = (_washout("opioid", 7, VIVITROL_OPIOID_FREE),)
"""The label's minimum opioid-free interval before naltrexone: inside it, a hard stop."""
OPIOID_FREE_INTERVAL = (
    _washout("opioid", 10, VIVITROL_OPIOID_FREE),
    _washout("methadone buprenorphine", 14, VIVITROL_OPIOID_FREE),
)
"""The full interval (10 days, 14 after methadone or buprenorphine): acknowledge the
opioid-free evidence (negative UDS, naloxone challenge) to start inside it."""
MAOI_AFTER = _washout("maoi_irreversible", 14, MAOI_WASHOUT)
"""Irreversible MAOIs (phenelzine, tranylcypromine) act until tissue MAO regenerates; a
reversible one (linezolid) counts while it is taken."""
SEROTONERGIC_BEFORE_MAOI = (
    _washout("ssri snri", 14, MAOI_WASHOUT),
    _washout("fluoxetine", 35, FLUOXETINE_WASHOUT),
    MAOI_AFTER,
)
DISULFIRAM_AFTER = _washout("disulfiram", 14, f"{DISULFIRAM_LABEL} ; {FLAGYL_LABEL}")
RECENT_DEPRESSANT = (
    _washout("benzodiazepine barbiturate alcohol_containing", 7, ASAM_DRUG_TESTING),
)
"""A week after a benzodiazepine, a barbiturate or alcohol was found on a screen, reported
used at a check-in, or last prescribed: the screen does not say which one or how much, a
long-acting one (diazepam, phenobarbital) still acts for days, and a week spans what a screen
finds of recent use.
A program sets its own window by replacing the rule."""


HIGH, MODERATE = Severity.HIGH, Severity.MODERATE

DEFAULT_RULES: tuple[Rule, ...] = (
    _rule("opioid-cns-depressant", HIGH, "opioid", "benzodiazepine cns_depressant",
          "profound sedation, respiratory depression, coma, death; manage, do not withhold MAT",
          f"{FDA_OPIOID_BENZO} ; {ASAM_DRUG_TESTING}", version="2",
          washouts=RECENT_DEPRESSANT),
    _rule("duplicate-opioid-treatment", HIGH, "methadone buprenorphine",
          "methadone buprenorphine",
          "duplicate therapy: two treatments for opioid use disorder at once (a doubled dose,"
          " or buprenorphine precipitating withdrawal on methadone); stop one, or acknowledge"
          " a planned cross-titration", f"{BUPRENORPHINE_LABEL} ; {METHADONE_LABEL}"),
    _rule("opioid-treatment-opioid-analgesic", HIGH, "methadone buprenorphine",
          "opioid_analgesic",
          "a full-agonist opioid for pain beside treatment for opioid use disorder: additive"
          " respiratory depression and overdose on methadone; on buprenorphine, a blunted"
          " analgesic, or withdrawal precipitated when buprenorphine starts on it; keep the"
          " treatment, agree the pain plan with its prescriber and acknowledge it",
          f"{TIP_63} ; {METHADONE_LABEL} ; {BUPRENORPHINE_LABEL}"),
    _rule("opioid-gabapentinoid", MODERATE, "opioid", "gabapentinoid",
          "serious breathing difficulties, worse with other CNS depressants",
          FDA_GABAPENTINOIDS),
    _rule("naltrexone-opioid-agonist", HIGH, "opioid_antagonist", "opioid",
          "precipitated withdrawal; opioid-free interval of 7-14 days needed; discontinue the"
          " opioid first", f"{VIVITROL_LABEL} ; {VIVITROL_OPIOID_FREE}", hard_stop=True,
          version="2", washouts=OPIOID_FREE_MINIMUM),
    _rule("naltrexone-opioid-free-interval", HIGH, "opioid_antagonist", "opioid",
          "precipitated withdrawal is possible inside the opioid-free interval; confirm it"
          " with a negative UDS or a naloxone challenge", VIVITROL_OPIOID_FREE,
          washouts=OPIOID_FREE_INTERVAL),
    _rule("methadone-qt-prolonging", HIGH, "methadone", "qt_prolonging",
          "additive QTc prolongation, torsades de pointes; severity by the latest QTc",
          f"{METHADONE_LABEL} ; {QTC_SOURCE}", version="2", qtc_bands=METHADONE_QTC_BANDS),
    Rule("methadone-qtc-prolonged", "1", HIGH, frozenset({"methadone"}), frozenset(),
         "QTc prolongation on methadone itself, torsades de pointes; judged on the latest"
         " QTc when methadone is prescribed or increased", f"{METHADONE_LABEL} ; {QTC_SOURCE}",
         qtc_bands=METHADONE_ALONE_QTC_BANDS),
    _rule("high-risk-qt-pair", HIGH, "qt_high_risk", "qt_prolonging",
          "additive QTc prolongation with a high-risk QT-prolonging agent", ONC_LIST),
    _rule("methadone-cyp3a4-inhibitor", HIGH, "methadone", "cyp3a4_inhibitor",
          "higher methadone levels: sedation, respiratory depression, QT prolongation", LEAVITT),
    _rule("methadone-cyp3a4-inducer", MODERATE, "methadone", "cyp3a4_inducer",
          "lower methadone levels: withdrawal; stopping the inducer later risks overdose",
          LEAVITT),
    _rule("buprenorphine-cyp3a4", MODERATE, "buprenorphine", "cyp3a4_inhibitor cyp3a4_inducer",
          "higher (sedation) or lower (withdrawal) buprenorphine levels", BUPRENORPHINE_LABEL),
    _rule("opioid-serotonergic", MODERATE, "opioid", "serotonergic",
          "serotonin syndrome", FDA_SEROTONIN, version="2"),
    _rule("opioid-maoi", HIGH, "opioid", "maoi",
          "serotonin syndrome, opioid toxicity; contraindicated",
          f"{ONC_LIST} ; {FDA_SEROTONIN} ; {METHADONE_MAOI}", version="2",
          washouts=(_washout("maoi_irreversible", 14, METHADONE_MAOI),)),
    _rule("tramadol-ssri-snri", MODERATE, "tramadol", "ssri snri",
          "serotonin syndrome and a lower seizure threshold", FDA_SEROTONIN),
    _rule("serotonergic-antidepressants", MODERATE, "ssri snri tca", "ssri snri tca",
          "serotonin syndrome: two serotonergic antidepressants at once, or one from two"
          " prescribers; review the combination, or cross-taper deliberately",
          SEROTONIN_SYNDROME),
    _rule("ssri-maoi", HIGH, "ssri snri", "maoi",
          "serotonin syndrome; contraindicated, needs a 14-day washout (5 weeks after"
          " fluoxetine)", f"{ONC_LIST} ; {FLUOXETINE_WASHOUT}", hard_stop=True, version="2",
          washouts=SEROTONERGIC_BEFORE_MAOI),
    _rule("tca-maoi", HIGH, "tca", "maoi", "serotonin syndrome, hypertensive reactions",
          f"{ONC_LIST} ; {MAOI_WASHOUT}", version="2",
          washouts=(_washout("tca", 14, MAOI_WASHOUT), MAOI_AFTER)),
    _rule("stimulant-maoi", HIGH, "stimulant", "maoi", "hypertensive crisis",
          f"{ONC_LIST} ; {MAOI_WASHOUT}", version="2", washouts=(MAOI_AFTER,)),
    _rule("triptan-maoi", HIGH, "triptan", "maoi", "serotonin syndrome",
          f"{ONC_LIST} ; {TRIPTAN_MAOI}", version="2",
          washouts=(_washout("maoi_irreversible", 14, TRIPTAN_MAOI),)),
    _rule("ramelteon-cyp1a2-inhibitor", HIGH, "ramelteon", "cyp1a2_strong_inhibitor",
          "large rise in ramelteon exposure, oversedation; contraindicated", ONC_LIST),
    _rule("disulfiram-alcohol-product", HIGH, "disulfiram", "alcohol_containing",
          "disulfiram-ethanol reaction: flushing, vomiting, hypotension, arrhythmia; a reaction"
          " is possible up to 2 weeks after the last disulfiram dose, and disulfiram starts"
          " after at least 12 hours without alcohol", DISULFIRAM_LABEL, version="2",
          washouts=(_washout("disulfiram", 14, DISULFIRAM_LABEL),
                    _washout("alcohol_containing", 1, DISULFIRAM_LABEL))),
    _rule("disulfiram-metronidazole", HIGH, "disulfiram", "metronidazole",
          "acute psychotic or confusional reactions; contraindicated with recent or"
          " concomitant use", f"{DISULFIRAM_METRONIDAZOLE} ; {FLAGYL_LABEL}", hard_stop=True,
          version="2", washouts=(DISULFIRAM_AFTER,)),
    _rule("disulfiram-warfarin-phenytoin", MODERATE, "disulfiram", "warfarin phenytoin",
          "higher warfarin or phenytoin levels: bleeding, phenytoin toxicity",
          DISULFIRAM_WARFARIN),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Entry:
    """One medication in the client's picture (an order or a statement), or the one being
    added.

    ``start`` is the first day the medication acts (None: already, or not known) and
    ``through`` the last (None while it is taken, or with no end set); ``basis`` says what
    a picture entry's exposure is. Two entries meet when the later one starts by the end of
    the earlier one's exposure plus the rule's washout for it: a past exposure meets the
    one being added, and one being added with an end meets an order due to start later
    only if it (or its washout) lasts until then.
    """

    id: UUID
    medication: str
    classes: frozenset[str]
    is_statement: bool = False
    through: date | None = None
    basis: str = "taken now"
    start: date | None = None

    def evidence(self, washout_days: int) -> ExposureEvidence:
        clear = self.through + timedelta(days=washout_days + 1) if self.through else None
        return ExposureEvidence(
            id=self.id,
            medication=self.medication,
            basis=self.basis,
            through=self.through,
            washout_days=washout_days if self.through else 0,
            clear_from=clear,
        )


@dataclass(frozen=True, slots=True)
class Match:
    rule: Rule
    new: Entry
    other: Entry | None
    """None for a rule on the new medication and the QTc alone."""
    qtc: QtcEvidence | None = None
    """The latest QTc, kept only for a rule whose severity depends on it."""
    clearance: ClearanceEvidence | None = None
    """The latest creatinine clearance, for a renal rule (``renal.py``)."""

    @property
    def exposure(self) -> ExposureEvidence | None:
        """The other medication as the rule counted it, and when that ends."""
        if self.other is None:
            return None
        return self.other.evidence(self.rule.washout_days(self.other.classes))

    @property
    def implicated(self) -> tuple[Entry, ...]:
        return (self.new,) if self.other is None else (self.new, self.other)

    @property
    def key(self) -> tuple[str, frozenset[UUID]]:
        """Identifies a finding: the same rule on the same entries is found once."""
        return self.rule.id, frozenset(e.id for e in self.implicated)

    @property
    def severity(self) -> Severity:
        band = self.rule.band(self.qtc)
        return self.rule.severity if band is None else band.severity

    @property
    def title(self) -> str:
        if self.other is None:
            title = f"{self.new.medication}: {self.rule.risk}"
        else:
            title = f"{self.new.medication} + {self.other.medication}: {self.rule.risk}"
        exposure = self.exposure
        if exposure is not None and exposure.through is not None:
            title = f"{title} (exposure: {exposure.describe()})"
        clearance = self.clearance
        if clearance is not None:
            return (
                f"{title} (creatinine clearance {clearance.ml_min} mL/min measured"
                f" {clearance.measured_at:%Y-%m-%d})"
            )
        if not self.rule.qtc_bands:
            return title
        band = self.rule.band(self.qtc)
        if band is None or self.qtc is None:
            return f"{title} (no QTc on record: obtain an ECG)"
        advice = band.advice.format(qtc=self.qtc.qtc_ms)
        return f"{title} ({advice}; measured {self.qtc.measured_at:%Y-%m-%d})"


@dataclass(frozen=True, slots=True)
class RuleTable:
    rules: tuple[Rule, ...] = DEFAULT_RULES

    def extended(self, extra: Iterable[Rule]) -> RuleTable:
        """The table with ``extra`` rules added; a rule with an existing id replaces it."""
        by_id = {rule.id: rule for rule in self.rules} | {rule.id: rule for rule in extra}
        return RuleTable(tuple(by_id.values()))

    def with_qtc_bands(self, qtc: QtcBands) -> RuleTable:
        """The table with every QT-aware rule judged on ``qtc``'s bands. The rule's version
        and source name the bands, so a finding says which bands set its severity."""
        return RuleTable(
            tuple(
                replace(rule, version=f"{rule.version}+{qtc.id}@{qtc.version}",
                        source=f"{rule.source} ; QTc bands: {qtc.source}",
                        qtc_bands=_bands_for(rule, qtc.bands))
                if rule.qtc_bands
                else rule
                for rule in self.rules
            )
        )  # fmt: skip

    def check(
        self,
        new: Entry,
        picture: Iterable[Entry],
        qtc: QtcEvidence | None = None,
        *,
        alone: bool = True,
    ) -> list[Match]:
        """Every rule that the new entry meets against each other entry of the picture: one
        taken now, or one whose exposure (plus the rule's washout) reaches the new start.
        With ``alone`` (a new medication, or a higher dose of one), also every rule on the
        new medication and the latest QTc alone whose band the QTc falls in."""
        found = [
            Match(rule, new, None, qtc)
            for rule in self.rules
            if alone and rule.alone and rule.classes_a & new.classes and rule.band(qtc)
        ]
        return found + [
            Match(rule, new, other, qtc if rule.qtc_bands else None)
            for other in picture
            if other.id != new.id
            for rule in self.rules
            if _applies(rule, new, other)
            and rule.matches(new.classes, other.classes)
            and _reaches(rule, other, new.start)
            and _reaches(rule, new, other.start)
        ]


def _bands_for(rule: Rule, bands: tuple[QtcBand, ...]) -> tuple[QtcBand, ...]:
    """A program's bands as a rule takes them: a rule on the QTc alone leaves out the band
    from 0 ms (a QTc in the normal range is no finding without a second QT drug)."""
    return tuple(b for b in bands if b.from_ms > 0) if rule.alone else bands


def _applies(rule: Rule, new: Entry, other: Entry) -> bool:
    """The same medication again here (a dose change, a restart) is no interaction; the
    same medication from elsewhere beside one ordered here (a statement and an order) is
    duplicate therapy, which only a rule with the same classes on both sides speaks of."""
    if other.medication != new.medication:
        return True
    return new.is_statement != other.is_statement and rule.classes_a == rule.classes_b


def _reaches(rule: Rule, earlier: Entry, start: date | None) -> bool:
    """Whether ``earlier``'s exposure, with the rule's washout, lasts to ``start``."""
    if earlier.through is None or start is None:
        return True
    return start <= earlier.through + timedelta(days=rule.washout_days(earlier.classes))
