"""The alert rules as data: what each watches, its threshold, severity, action and source.

The thresholds are shared/design/domain.md section 2.1; a program's medical director signs
off on them and may change any row (a new ``version``, recorded in every alert the row
raises). Each row names one ``Test``, the logic in ``evaluation.py`` that reads its numbers,
so a program can add a row (say PHQ-9 >= 20, high) without code.

A row's version also moves when the logic that reads it changes, so an alert names the reading
that decided it: version 2 of the rows that read "the latest" or "in a row", or the orders in
force, goes by clinical time (when a reading was taken, a session scheduled, a screen
collected); version 1 went by the order of recording and the orders of the moment.
Version 3 of the rows that count days (the orders in force on a day, the days since the first
dose) counts the program's days (``AlertRules.zone``, ``program_time_zone``, the medication
tables' dosing day); version 2 counted UTC days, so a screen collected at 17:30 in Los Angeles
was judged on the next day's orders.
Version 4 of the rows that ask whether the client was taking an agonist (cows-maintenance,
screen-negative-for-agonist) does not count an order on hold at the time, unless the client
was dosed under it on that program day or the day before (``Order.taken_at``); version 3
counted it (a screen negative for methadone while methadone was held raised a diversion
review). The rows about an agonist's risks (screen-depressant-on-agonist, the QTc rows) count
a held order as before.
Version 4 of screen-depressant-on-agonist reads use reported at a check-in as a screen's
finding (Xanax as benzodiazepines, beer as alcohol; ``analytes.reported``), as the medication
rules do, and counts barbiturates, CNS depressants as benzodiazepines are (domain.md section
5): the combination with an agonist is the overdose risk whether found or told. One alert
per screen or check-in, whatever it names, beside substance-use-reported's relapse review;
version 3 read screens alone, for benzodiazepines and alcohol (EtG, EtS).
Version 3 of repeated-no-shows counts a run within one treatment episode: a readmitted
client's first no-show is a run of one, where version 2 went on from the no-shows before
the discharge.
Version 2 of phq9-item9 details item 9's answer and what it says, then the total and its band
apart ("PHQ-9 item 9 answered 1 (several days); total 4 (minimal)"); version 1 set the
total's band beside the answer ("PHQ-9 item 9 1 (minimal)"), read as the answer's. Alerts
stored under version 1 keep their words.
A PHQ-9 may be scored with two items unanswered (prorated, ``instruments.py``): one without
item 9 raises phq9-item9-unanswered, as an unasked self-harm question is no "not at all".
A run of low moods against the client's own baseline (mood-drop: the last three check-ins'
moods, 0 worst to 10 best, each 3 or more below the median of up to ten before them) asks for
outreach as a craving rise does: low mood in early recovery comes before relapse and goes
with suicide risk, and the PHQ-9 is asked far less often than a check-in's mood.
A screen positive for xylazine (screen-xylazine, high) asks for the overdose review a
fentanyl screen does, with what differs: naloxone does not reverse xylazine's sedation (it is
still given for the opioid it comes with; breathing is supported), and its wounds are looked
for.
Version 2 of screen-fentanyl and screen-xylazine reads use reported at a check-in as a
screen's finding (fentanyl, fent, Duragesic as fentanyl, tranq as xylazine;
``analytes.reported``), for any client, as version 4 of screen-depressant-on-agonist does: a
client who says they used fentanyl is at the overdose risk a positive screen shows, where
only substance-use-reported's moderate relapse review was raised. One alert per screen or
check-in; a screen and a check-in telling of the same use are two facts and raise one each,
as for the depressant row. Their alerts tell of a check-in as well as a screen (``REVEALS``),
so a reader who sees screens and not check-ins sees neither; version 1 read screens alone.
The SOWS, the client's own rating of withdrawal, asks for the dose review the COWS does
(sows-maintenance: moderate, 11 and over, a week or more into an agonist order).
Sedation or slowed breathing told at a check-in (its side effects, in the client's words;
``side_effects.signs_reported``) while on an opioid agonist, a held order counted as the
depressant row counts it, asks the same day for an assessment before the next dose
(sedation-on-agonist, high): the warning sign of an overdose as methadone accumulates.
Version 2 reads a sign followed by punctuation ("Drowsy, dizzy"), which version 1 missed;
version 3 leaves out a sign the client denies ("no sedation", "denies drowsiness"), which
version 2 raised; version 4 reads a phone's typographic apostrophe as one ("can\u2019t stay
awake" was no sign).
Version 5 leaves out each sign of a list the client denies, joined by commas and closed by
"or" or "nor" ("no sedation or slowed breathing", "denies drowsiness, slurred speech or
nodding"), up to a clause's end or a word that turns it ("no sedation but slurred speech"
raises); version 4 left out the first alone.
The screening instruments alert at their top level, where a program reviews the level of
care: AUDIT zone IV (20 and over, possible dependence) and DAST-10 severe (9 and over).
Version 3 of craving-rise and version 2 of mood-drop read the run a check-in marked entered
in error leaves: the latest readings make a run without it that they did not with it (a calm
craving typed on the wrong client hid a rise), raised on the correction; versions before
raised none until the next check-in. Version 4 of repeated-no-shows reads an attended
session corrected to a late cancellation the same way: the no-shows on either side of it are
one run, raised on the correction; version 3 raised none until the next no-show. Version 5
reads an attended session corrected to another length as attended still: version 4 read it
as taken out of the run, joined the no-shows on either side of it and raised an alert on a
session the client came to. Version 3
of the QTc rows reads the latest QTc marked entered in error so: the one measured before it
stands again, and raises its alert on the correction; version 2 raised none until the next.
Version 5 of screen-depressant-on-agonist reads zolpidem, found on a screen or reported used
(Ambien), as the prescribing rule opioid-cns-depressant does: a sedative-hypnotic with an
opioid is the same overdose risk (FDA 2017 names the CNS depressants); version 4 left it out.
Version 6 of screen-depressant-on-agonist leaves out what a screen found that the client's
own prescription explains (``EXPECTED_ANALYTES``: benzodiazepines on a benzodiazepine order
here in force and not on hold at collection, or one another prescriber or the PDMP reports;
barbiturates and zolpidem alike): version 5 raised its high alert on every screen of a client
prescribed lorazepam, an alarm the team learned to dismiss. What a prescription explains raises
screen-prescribed-depressant-on-agonist instead (moderate, naming the prescription, once while
its alert is open): the combination is still reviewed, and the prescriber acknowledged it when
writing either order (opioid-cns-depressant). Alcohol is never explained, nor is use reported
at a check-in (a client telling of Xanax tells of use beyond a prescription), nor a screen
while the sedative's order is held or after it stopped.
Alcohol found on a screen (alcohol, EtG, EtS) or reported used at a check-in while a
disulfiram order is in force, a held one included, or in the 14 days after it stopped or
ended (the label's window for a reaction), asks the care team to assess for the
disulfiram-ethanol reaction now (alcohol-on-disulfiram, high): the prescribing rule
disulfiram-alcohol-product speaks only when disulfiram is next written, days later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum, auto
from zoneinfo import ZoneInfo

from carecoord.events import Kind
from carecoord.events.checkins import DrugScreenResulted, Instrument
from carecoord.events.medication import Severity
from carecoord.services.kernel.program_day import program_day


class Test(StrEnum):
    INSTRUMENT_SCORE = auto()
    """An instrument's ``score`` (``total``, ``item:<id>``, ``subscale:<name>``, ``signs``,
    the number of complicating signs, or ``unanswered:<id>``, 1 when the item went
    unanswered) in range."""
    SUBSTANCE_USE = auto()
    """A check-in reports substance use."""
    CRAVING_RISE = auto()
    """The last ``window`` cravings all at least ``threshold`` above the client's baseline
    (median of up to ``baseline`` readings before them, at least ``baseline_min``)."""
    MOOD_DROP = auto()
    """The last ``window`` moods all at least ``threshold`` below the client's baseline
    (median of up to ``baseline`` readings before them, at least ``baseline_min``)."""
    QTC_ON_MEDICATION = auto()
    """QTc in range while on a medication of ``medication_class``."""
    CLEARANCE_ON_MEDICATION = auto()
    """Creatinine clearance at or below ``threshold`` mL/min (and above ``above``, if set)
    while on a medication of ``medication_class`` (above ``daily_above`` a day, if set):
    acamprosate is contraindicated from 30 mL/min down, and above 999 mg a day at 31-50."""
    SCREEN_POSITIVE = auto()
    """A drug screen positive for any of ``analytes``, or a check-in reporting use of one
    (``analytes.reported``), whatever the client is prescribed."""
    SCREEN_POSITIVE_ON_AGONIST = auto()
    """A drug screen positive for any of ``analytes``, or a check-in reporting use of one
    (``analytes.reported``), while on an opioid agonist."""
    SCREEN_PRESCRIBED_ON_AGONIST = auto()
    """A drug screen positive for any of ``analytes`` that a prescription the client was on
    at collection explains (``EXPECTED_ANALYTES``), while on an opioid agonist."""
    SCREEN_POSITIVE_ON_MEDICATION = auto()
    """A drug screen positive for any of ``analytes``, or a check-in reporting use of one
    (``analytes.reported``), while an order of ``medication_class`` is in force (a held one
    included) or within ``washout_days`` of its stop or end."""
    SCREEN_NEGATIVE_FOR_AGONIST = auto()
    """A drug screen tested for the prescribed agonist and found none of it, while the
    client was taking it (not on hold; ``Order.taken_at``)."""
    CONSECUTIVE_NO_SHOWS = auto()
    """``threshold`` or more therapy no-shows in a row."""
    SEDATION_ON_AGONIST = auto()
    """A check-in whose side effects report sedation or slowed breathing
    (``side_effects.signs_reported``) while on an opioid agonist, a held order included."""
    TAKE_HOME_RECALL = auto()
    """Take-home bottles handed over, and not returned, for days after an order was
    discontinued or put on hold (by a person or the missed-dose rule), or the client
    discharged. Raised by the stop or hold, on the record it leaves (``recall.py``), not by
    ``evaluate``."""
    UNWITNESSED_RETURN = auto()
    """A take-home return its witness has not confirmed ``threshold`` hours after the bottles
    came back. Raised by the clock (a sweep, ``unwitnessed.py``), not by an event, so the
    replay takes it as recorded."""


@dataclass(frozen=True, slots=True)
class AlertRule:
    id: str
    version: str
    test: Test
    title: str
    severity: Severity
    action: str
    source: str
    threshold: int = 1
    below: int | None = None
    """Upper bound (exclusive), so that a milder and a severe row never both fire."""
    above: int | None = None
    """Lower bound (exclusive) of a clearance row, whose ``threshold`` is its upper bound (the
    lower, the worse): the moderate row stops where the severe one begins."""
    instrument: Instrument | None = None
    score: str = "total"
    maintenance_days: int | None = None
    """For withdrawal scores: only when taken on an agonist order (or the orders it replaced)
    whose first dose was this many days before, and not on hold then (``Order.taken_at``)."""
    medication_class: str = ""
    daily_above: Decimal | None = None
    """For a clearance row: only while an order of ``medication_class`` in force prescribes
    more than this a day (its ``dose``, the day's, on the program's day)."""
    analytes: frozenset[str] = frozenset()
    window: int = 0
    baseline: int = 0
    baseline_min: int = 0
    washout_days: int = 0
    """For a row on ``medication_class``: the program days past an order's stop or end that
    it still counts (the drug acts on, as disulfiram blocks alcohol's breakdown for two weeks
    after the last dose)."""
    while_open_once: bool = False
    """A state-based rule fires once and not again while its alert is open."""

    def in_range(self, value: int) -> bool:
        return value >= self.threshold and (self.below is None or value < self.below)

    def in_clearance_range(self, value: int) -> bool:
        """For a clearance row: at or below ``threshold`` and above ``above``."""
        return value <= self.threshold and (self.above is None or value > self.above)

    @property
    def reveals(self) -> frozenset[Kind]:
        """What of the record an alert of this row tells whoever reads it (``REVEALS``); a
        withdrawal score counted only in maintenance tells that the client is dosed."""
        if self.maintenance_days is not None:
            return REVEALS[self.test] | {Kind.MEDICATION}
        return REVEALS[self.test]


REVEALS: dict[Test, frozenset[Kind]] = {
    Test.INSTRUMENT_SCORE: frozenset({Kind.CHECK_IN}),
    Test.SUBSTANCE_USE: frozenset({Kind.CHECK_IN}),
    Test.CRAVING_RISE: frozenset({Kind.CHECK_IN}),
    Test.MOOD_DROP: frozenset({Kind.CHECK_IN}),
    Test.QTC_ON_MEDICATION: frozenset({Kind.CHECK_IN, Kind.MEDICATION}),
    Test.CLEARANCE_ON_MEDICATION: frozenset({Kind.CHECK_IN, Kind.MEDICATION}),
    # A screen is MEDICATION kind (monitoring treatment), and the use a check-in reported
    # the check-in's: an alert may stand for either.
    Test.SCREEN_POSITIVE: frozenset({Kind.CHECK_IN, DrugScreenResulted.type_kind}),
    Test.SCREEN_POSITIVE_ON_AGONIST: frozenset({Kind.CHECK_IN, Kind.MEDICATION}),
    Test.SCREEN_PRESCRIBED_ON_AGONIST: frozenset({Kind.MEDICATION}),
    Test.SCREEN_POSITIVE_ON_MEDICATION: frozenset({Kind.CHECK_IN, Kind.MEDICATION}),
    Test.SCREEN_NEGATIVE_FOR_AGONIST: frozenset({Kind.CHECK_IN, Kind.MEDICATION}),
    # How many sessions in a row were missed, no session's content: the outreach it asks
    # for is the peer supporter's as much as the therapist's.
    Test.CONSECUTIVE_NO_SHOWS: frozenset(),
    Test.SEDATION_ON_AGONIST: frozenset({Kind.CHECK_IN, Kind.MEDICATION}),
    # Bottles, days and lots of an order: nothing of the stop's reason.
    Test.TAKE_HOME_RECALL: frozenset({Kind.MEDICATION}),
    # A return's day, its bottles' count and the witness's user id: nothing of the client.
    Test.UNWITNESSED_RETURN: frozenset({Kind.MEDICATION}),
}
"""The kinds of record each test's alerts tell of, besides the alert itself: a QTc alert
says the client takes methadone, a screen negative for the agonist that they are prescribed
one. A reader sees an alert only if their grant shows those kinds too, so a peer supporter,
who sees no orders, does not learn them from the alert queue."""

UNLISTED_REVEALS: frozenset[Kind] = frozenset().union(*REVEALS.values())
"""What an alert of a rule no longer in the table (taken out since) is taken to tell: the
most any test tells."""


# Opioid agonists for OUD (formulary classes) and the analytes that show each was taken.
AGONIST_ANALYTES: dict[str, frozenset[str]] = {
    "methadone": frozenset({"methadone", "eddp"}),
    "buprenorphine": frozenset({"buprenorphine", "norbuprenorphine"}),
}

EXPECTED_ANALYTES: dict[str, frozenset[str]] = {
    "benzodiazepines": frozenset({"benzodiazepine"}),
    "barbiturates": frozenset({"barbiturate"}),
    "zolpidem": frozenset({"zolpidem"}),
}
"""A depressant analyte and the formulary classes or codes of a prescription that explains a
screen finding it: the client was taking it at collection (an order here in force and not on
hold, ``Order.taken_at``, or a medication another prescriber or the PDMP reports)."""

PHQ = "https://www.calcipedia.org/calculators/phq-9-calculator"
GAD = "https://www.mrcpsych.uk/search/label/GAD-7"
COWS = "https://www.mdapp.co/clinical-opiate-withdrawal-scale-cows-calculator-189/"
SOWS = "Handelsman et al. 1987 (SOWS); moderate band 11-20 as the form prints it"
CIWA = "https://eguideline.guidelinecentral.com/i/1254278/2"
BAM = "https://pmc.ncbi.nlm.nih.gov/articles/PMC3602977"
AUDIT = "WHO AUDIT manual (Babor et al. 2001), risk zone IV"
DAST = "DAST-10 (Skinner 1982); severe level 9-10 (Yudko et al. 2007)"
CRAVING = "https://datashare.nida.nih.gov/instrument/visual-analog-scales"
KRANTZ = "Krantz et al. 2009, https://pubmed.ncbi.nlm.nih.gov/19153406/"
CAMPRAL = "Campral (acamprosate) label, Contraindications (domain reference, section 5)"
CAMPRAL_MODERATE = (
    "Campral (acamprosate) label, Dosage and Administration: 333 mg three times a day with a"
    " creatinine clearance of 30-50 mL/min (domain reference, section 5)"
)
FDA_2017 = (
    "https://www.fda.gov/drugs/drug-safety-and-availability/fda-drug-safety-communication-"
    "fda-urges-caution-about-withholding-opioid-addiction-medications"
)
OVERDOSE = (
    "SAMHSA TIP 63, Medications for Opioid Use Disorder (PEP21-02-01-002); CDC Stop Overdose,"
    " https://www.cdc.gov/stop-overdose/caring/index.html"
)
XYLAZINE = (
    "CDC, What You Should Know About Xylazine (2024); FDA, Xylazine in illicit drugs (2022-2023)"
)
DISULFIRAM = (
    "Antabuse (disulfiram) label, https://globalrph.com/rx-list/antabuse-drug: the"
    " disulfiram-alcohol reaction (flushing, vomiting, hypotension, arrhythmia) may be severe,"
    " and may follow alcohol up to two weeks after the last dose"
)
PROGRAM = "program policy (no published threshold; set by the medical director)"
TAKE_HOMES = "42 CFR 8.12(i) (take-home doses; diversion control)"
SEDATION = (
    "SAMHSA TIP 63, Medications for Opioid Use Disorder (PEP21-02-01-002), part 3: assess for"
    " sedation or intoxication before each dose and hold it while either shows"
)

DEPRESSANTS = frozenset({"benzodiazepines", "barbiturates", "zolpidem", "alcohol", "etg", "ets"})

DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule("phq9-item9", "2", Test.INSTRUMENT_SCORE, "PHQ-9 item 9: thoughts of self-harm",
              Severity.HIGH, "Same-day suicide-risk assessment (e.g. C-SSRS); notify prescriber "
              "and therapist", PHQ, instrument=Instrument.PHQ9, score="item:9"),
    AlertRule("phq9-item9-unanswered", "1", Test.INSTRUMENT_SCORE,
              "PHQ-9 item 9 (self-harm) unanswered", Severity.HIGH, "Ask item 9 today; if "
              "answered 1 or more, same-day suicide-risk assessment (e.g. C-SSRS)", PHQ,
              instrument=Instrument.PHQ9, score="unanswered:9"),
    AlertRule("phq9-positive", "1", Test.INSTRUMENT_SCORE, "PHQ-9 positive depression screen",
              Severity.MODERATE, "Depression treatment review; co-occurring-disorder pathway",
              PHQ, threshold=10, instrument=Instrument.PHQ9),
    AlertRule("gad7-positive", "1", Test.INSTRUMENT_SCORE, "GAD-7 positive anxiety screen",
              Severity.MODERATE, "Further evaluation; check benzodiazepine exposure", GAD,
              threshold=10, instrument=Instrument.GAD7),
    AlertRule("cows-maintenance", "4", Test.INSTRUMENT_SCORE,
              "Moderate opioid withdrawal during maintenance", Severity.MODERATE,
              "Dose-adequacy review (under-dosing)", COWS, threshold=13,
              instrument=Instrument.COWS, maintenance_days=7),
    AlertRule("sows-maintenance", "1", Test.INSTRUMENT_SCORE,
              "Moderate self-reported opioid withdrawal during maintenance", Severity.MODERATE,
              "Dose-adequacy review (under-dosing)", SOWS, threshold=11,
              instrument=Instrument.SOWS, maintenance_days=7),
    AlertRule("ciwa-above-threshold", "1", Test.INSTRUMENT_SCORE,
              "Alcohol withdrawal above program threshold", Severity.MODERATE,
              "Medication per protocol", CIWA, threshold=10, below=19,
              instrument=Instrument.CIWA_AR),
    AlertRule("ciwa-severe", "1", Test.INSTRUMENT_SCORE, "Severe alcohol withdrawal",
              Severity.HIGH, "Medication per protocol; consider a higher level of care", CIWA,
              threshold=19, instrument=Instrument.CIWA_AR),
    AlertRule("ciwa-signs", "1", Test.INSTRUMENT_SCORE,
              "Alcohol withdrawal: seizure, hallucinations or disorientation", Severity.HIGH,
              "Medical evaluation now; consider withdrawal management (a higher level of care)",
              CIWA, instrument=Instrument.CIWA_AR, score="signs"),
    AlertRule("substance-use-reported", "1", Test.SUBSTANCE_USE, "Substance use reported",
              Severity.MODERATE, "Relapse-prevention review", BAM),
    AlertRule("bam-use-reported", "1", Test.INSTRUMENT_SCORE, "BAM: substance use reported",
              Severity.MODERATE, "Relapse-prevention review", BAM, instrument=Instrument.BAM,
              score="subscale:use"),
    AlertRule("audit-zone-iv", "1", Test.INSTRUMENT_SCORE,
              "AUDIT zone IV: possible alcohol dependence", Severity.MODERATE,
              "Diagnostic evaluation; assess withdrawal risk (CIWA-Ar) and level of care", AUDIT,
              threshold=20, instrument=Instrument.AUDIT),
    AlertRule("dast10-severe", "1", Test.INSTRUMENT_SCORE, "DAST-10 severe drug problems",
              Severity.MODERATE, "Intensive assessment; review level of care and treatment plan",
              DAST, threshold=9, instrument=Instrument.DAST10),
    AlertRule("craving-rise", "3", Test.CRAVING_RISE, "Sustained craving rise over baseline",
              Severity.MODERATE, "Counselor outreach", CRAVING, threshold=20, window=3,
              baseline=10, baseline_min=3, while_open_once=True),
    AlertRule("mood-drop", "2", Test.MOOD_DROP, "Sustained low mood below baseline",
              Severity.MODERATE, "Counselor outreach; depression screen (PHQ-9) and ask about "
              "self-harm", PROGRAM, threshold=3, window=3, baseline=10, baseline_min=3,
              while_open_once=True),
    AlertRule("qtc-methadone-prolonged", "3", Test.QTC_ON_MEDICATION,
              "QTc 451-499 ms on methadone", Severity.MODERATE,
              "Discuss risk and benefit; monitor ECG more often", KRANTZ, threshold=451,
              below=500, medication_class="methadone"),
    AlertRule("qtc-methadone-critical", "3", Test.QTC_ON_MEDICATION, "QTc >= 500 ms on methadone",
              Severity.HIGH, "Consider reducing or stopping methadone; remove contributing drugs",
              KRANTZ, threshold=500, medication_class="methadone"),
    AlertRule("crcl-acamprosate-severe", "1", Test.CLEARANCE_ON_MEDICATION,
              "Creatinine clearance 30 mL/min or less on acamprosate", Severity.HIGH,
              "Stop acamprosate (contraindicated in severe renal impairment); prescriber review",
              CAMPRAL, threshold=30, medication_class="acamprosate"),
    AlertRule("crcl-acamprosate-moderate", "1", Test.CLEARANCE_ON_MEDICATION,
              "Creatinine clearance 31-50 mL/min on acamprosate above 999 mg a day",
              Severity.MODERATE,
              "Reduce acamprosate to 333 mg three times a day (moderate renal impairment);"
              " prescriber review", CAMPRAL_MODERATE, threshold=50, above=30,
              medication_class="acamprosate", daily_above=Decimal(999)),
    AlertRule("screen-depressant-on-agonist", "6", Test.SCREEN_POSITIVE_ON_AGONIST,
              "Benzodiazepines, barbiturates, zolpidem or alcohol while on an opioid agonist",
              Severity.HIGH,
              "Overdose-risk review: naloxone, PDMP check, take-home review; do not withhold MAT",
              FDA_2017, analytes=DEPRESSANTS),
    AlertRule("screen-prescribed-depressant-on-agonist", "1", Test.SCREEN_PRESCRIBED_ON_AGONIST,
              "Prescribed benzodiazepine, barbiturate or zolpidem found while on an opioid"
              " agonist", Severity.MODERATE,
              "Review the combination with its prescribers: naloxone, sedation, take-homes, the"
              " sedative's plan; unprescribed use still raises the high overdose-risk alert",
              FDA_2017, analytes=DEPRESSANTS, while_open_once=True),
    AlertRule("alcohol-on-disulfiram", "1", Test.SCREEN_POSITIVE_ON_MEDICATION,
              "Alcohol found or reported on disulfiram or in the 2 weeks after",
              Severity.HIGH,
              "Assess today for a disulfiram-ethanol reaction (emergency care if severe); tell"
              " the prescriber; review the disulfiram plan and alcohol-containing products",
              DISULFIRAM, medication_class="disulfiram", washout_days=14,
              analytes=frozenset({"alcohol", "etg", "ets"})),
    AlertRule("sedation-on-agonist", "5", Test.SEDATION_ON_AGONIST,
              "Sedation or slowed breathing reported on an opioid agonist", Severity.HIGH,
              "Assess today, before the next dose (hold it while sedated); review the dose,"
              " take-homes and other CNS depressants; offer naloxone", SEDATION),
    AlertRule("screen-fentanyl", "2", Test.SCREEN_POSITIVE,
              "Fentanyl found on a drug screen or reported used", Severity.HIGH,
              "Overdose-risk review: offer naloxone and overdose education; review take-homes;"
              " do not withhold MAT", OVERDOSE,
              analytes=frozenset({"fentanyl", "norfentanyl"})),
    AlertRule("screen-xylazine", "2", Test.SCREEN_POSITIVE,
              "Xylazine found on a drug screen or reported used", Severity.HIGH,
              "Overdose-risk review: naloxone still for the opioid with it (xylazine is not"
              " reversed by it: rescue breathing); wound check; do not withhold MAT",
              XYLAZINE, analytes=frozenset({"xylazine"})),
    AlertRule("screen-negative-for-agonist", "4", Test.SCREEN_NEGATIVE_FOR_AGONIST,
              "Drug screen negative for the prescribed agonist", Severity.MODERATE,
              "Adherence and possible-diversion review; take-home review", FDA_2017),
    AlertRule("repeated-no-shows", "5", Test.CONSECUTIVE_NO_SHOWS, "Repeated therapy no-shows",
              Severity.MODERATE, "Outreach by the therapist or peer supporter", PROGRAM,
              threshold=2, while_open_once=True),
    AlertRule("take-home-recall", "3", Test.TAKE_HOME_RECALL,
              "Take-home doses held for days after treatment stopped or was held",
              Severity.HIGH,
              "Recall the bottles named; record each brought back with returnTakeHome"
              " (witnessed, destroyed): the last one back resolves this alert", TAKE_HOMES,
              while_open_once=True),
    AlertRule("take-home-return-unwitnessed", "1", Test.UNWITNESSED_RETURN,
              "Take-home return destroyed with no witness confirming it", Severity.MODERATE,
              "Ask the witness named to confirm the count and destruction under their own"
              " login (witnessTakeHomeReturn), which resolves this alert; if they did not see"
              " it, review the return for diversion", TAKE_HOMES, threshold=24),
)  # fmt: skip


UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class AlertRules:
    """A program's rule table: the defaults, with rows replaced, added or taken out by id,
    and the program's time zone, whose local day is the day the rows count in."""

    rules: tuple[AlertRule, ...] = DEFAULT_RULES
    zone: ZoneInfo = UTC_ZONE
    """The program's time zone (``program_time_zone``, set at start as the medication
    tables' is): an order is in force on the program's day a screen was collected, and the
    days of maintenance are the program's days since the first dose, not UTC's."""

    def day_of(self, moment: datetime) -> date:
        """The program's day that ``moment`` falls on."""
        return program_day(moment, self.zone)

    def in_zone(self, zone: ZoneInfo) -> AlertRules:
        return replace(self, zone=zone)

    def with_rules(self, *changed: AlertRule) -> AlertRules:
        by_id = {r.id: r for r in self.rules} | {r.id: r for r in changed}
        return replace(self, rules=tuple(by_id.values()))

    def without(self, *rule_ids: str) -> AlertRules:
        return replace(self, rules=tuple(r for r in self.rules if r.id not in rule_ids))

    def rule(self, rule_id: str) -> AlertRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def tells(self, rule_id: str) -> frozenset[Kind]:
        """What an alert of ``rule_id`` tells of the record besides itself (``REVEALS``); of a
        rule taken out of the table since, the most any test tells."""
        found = self.rule(rule_id)
        return UNLISTED_REVEALS if found is None else found.reveals

    def shown_to(self, kinds: frozenset[Kind]) -> frozenset[str] | None:
        """The ids of the rules whose alerts a reader who sees ``kinds`` may see (``REVEALS``);
        None when they see every alert (every kind any rule tells of)."""
        if kinds >= UNLISTED_REVEALS:
            return None
        return frozenset(r.id for r in self.rules if r.reveals <= kinds)

    def problems(self) -> list[str]:
        """Why this table cannot be used: an empty range, two rows on the same measure whose
        ranges overlap (a milder and a severe row would both fire), or a row whose upper
        bound no row on its measure takes up (the scores past it would raise nothing)."""
        found = [
            f"{r.id}: threshold {r.threshold} is not below its upper bound {r.below}"
            for r in self.rules
            if r.below is not None and r.below <= r.threshold
        ]
        ranged = [r for r in self.rules if r.test in RANGED]
        for n, first in enumerate(ranged):
            for second in ranged[n + 1 :]:
                if _measure(first) == _measure(second) and _overlap(first, second):
                    found.append(
                        f"{first.id} and {second.id} overlap: both would fire for "
                        f"{max(first.threshold, second.threshold)}"
                    )
        found += [gap for r in ranged if (gap := _unalerted(r, ranged)) is not None]
        return found + _clearance_problems([r for r in self.rules if r.test in CLEARANCE])


RANGED = frozenset({Test.INSTRUMENT_SCORE, Test.QTC_ON_MEDICATION})
"""Tests that read one number against a range; two rows on the same number must not overlap."""


CLEARANCE = frozenset({Test.CLEARANCE_ON_MEDICATION})
"""Tests that read a number the lower the worse: a row fires above ``above`` up to its
``threshold``, and the milder row hands over where the severe one ends."""


def _clearance_problems(rows: list[AlertRule]) -> list[str]:
    """An empty range, two rows on one medication that would both fire for a clearance, or a
    row whose lower bound no row on its medication takes up (a severe row moved down or
    turned off alone: the clearances at or under the bound would raise nothing)."""
    found = [
        f"{r.id}: above {r.above} is not below its threshold {r.threshold}"
        for r in rows
        if r.above is not None and r.above >= r.threshold
    ]
    for n, first in enumerate(rows):
        for second in rows[n + 1 :]:
            low = max(first.above or 0, second.above or 0)
            if _measure(first) == _measure(second) and low < min(first.threshold, second.threshold):
                found.append(f"{first.id} and {second.id} overlap: both would fire for {low + 1}")
    for r in rows:
        same = [o for o in rows if _measure(o) == _measure(r) and o is not r]
        if r.above is not None and not any(o.in_clearance_range(r.above) for o in same):
            found.append(
                f"{r.id} starts above {r.above} and no row on its medication fires there: a"
                f" clearance of {r.above} would raise nothing (set its above to the severe"
                " row's threshold, or turn it off too)"
            )
    return found


def _measure(rule: AlertRule) -> tuple[object, ...]:
    return (rule.test, rule.instrument, rule.score, rule.medication_class)


def _overlap(first: AlertRule, second: AlertRule) -> bool:
    top = min(b for b in (first.below, second.below, 10**9) if b is not None)
    return max(first.threshold, second.threshold) < top


def _unalerted(rule: AlertRule, ranged: list[AlertRule]) -> str | None:
    """What of its measure ``rule`` leaves to no row: it stops below a value (a milder row)
    that no row on the measure fires for, a severe row moved up or turned off alone."""
    end = rule.below
    same = [r for r in ranged if _measure(r) == _measure(rule)]
    if end is None or any(r.in_range(end) for r in same):
        return None
    above = [r.threshold for r in same if r.threshold > end]
    if above:
        gap, fix = f"{end} to {min(above) - 1}", "set its below to the next row's threshold"
    else:
        gap, fix = f"{end} and above", "set its below past every score, or turn it off too"
    return (
        f"{rule.id} ends below {end} and no row on its measure starts there: {gap} would"
        f" raise nothing ({fix})"
    )


DEFAULT_ALERT_RULES = AlertRules()
