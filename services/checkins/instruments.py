"""The standard instruments as data: items, allowed answers, subscales, bands and sources.

Scores are computed here from item-level answers, never taken from the caller. Bands are
those of shared/design/domain.md section 2 (AUDIT and DAST-10: their sources below); where
sources disagree (CIWA-Ar) the table names the one it uses. A program changing a band or an
item list bumps ``version``, which every ``InstrumentScored`` records as ``scoring_version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from carecoord.events.checkins import Instrument
from carecoord.services.kernel.errors import InvalidInput

PHQ9_SOURCE = "Kroenke 2001; https://www.calcipedia.org/calculators/phq-9-calculator"
GAD7_SOURCE = "Spitzer 2006, Arch Intern Med 166:1092-7; https://www.mrcpsych.uk/search/label/GAD-7"
COWS_SOURCE = (
    "Wesson & Ling 2003, J Psychoactive Drugs 35(2):253-9; "
    "https://www.mdapp.co/clinical-opiate-withdrawal-scale-cows-calculator-189/"
)
SOWS_SOURCE = (
    "Handelsman et al. 1987, Am J Drug Alcohol Abuse 13(3):293-308; bands as the form prints"
    " them for buprenorphine induction (mild 1-10, moderate 11-20, severe 21 and over);"
    " https://www.emcdda.europa.eu/drugs-library/subjective-opiate-withdrawal-scale_en"
)
CIWA_SOURCE = (
    "ASAM 2020 guideline example bands; https://eguideline.guidelinecentral.com/i/1254278/2"
)
BAM_SOURCE = (
    "Cacciola et al. 2013, JSAT 44(3):256-63; https://pmc.ncbi.nlm.nih.gov/articles/PMC3602977"
)
AUDIT_SOURCE = (
    "Babor et al. 2001, AUDIT: Guidelines for Use in Primary Care (2nd ed.), WHO/MSD/MSB/01.6a;"
    " https://www.who.int/publications/i/item/WHO-MSD-MSB-01.6a"
)
DAST10_SOURCE = (
    "Skinner 1982, Addict Behav 7(4):363-71; levels per Yudko, Lozhkina & Fouts 2007,"
    " J Subst Abuse Treat 32(2):189-98"
)

LIKERT_0_3 = frozenset(range(4))
OFTEN_0_3 = ("not at all", "several days", "more than half the days", "nearly every day")
"""What an answer of 0 to 3 to a PHQ-9 or GAD-7 item says: how often, in the last two weeks."""
DIFFICULTY = ("not difficult at all", "somewhat difficult", "very difficult", "extremely difficult")
"""What an answer of 0 to 3 to the unscored closing item of a PHQ-9 or GAD-7 says."""
DAYS_0_30 = frozenset(range(31))
RATED_0_4 = frozenset(range(5))
HOW_MUCH_0_4 = ("not at all", "slightly", "moderately", "considerably", "extremely")
FELT_0_4 = ("not at all", "a little", "moderately", "quite a bit", "extremely")
"""What an answer of 0 to 4 to a SOWS item says: how much the symptom is felt now."""
NO_YES = frozenset({0, 1})
NO_YES_MEANINGS = ("no", "yes")


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    label: str
    allowed: frozenset[int]
    scored: bool = True
    required: bool = True
    at_most: str | None = None
    """The item whose answer bounds this one's: days of heavy drinking are days of drinking."""
    meanings: tuple[str, ...] = ()
    """What each answer says, by its value (0 first), where the form words them."""
    reverse_scored: bool = False
    """Scores its highest answer 0 and its 0 the highest (DAST-10 item 3: able to stop)."""

    def points(self, answer: int) -> int:
        return max(self.allowed) - answer if self.reverse_scored else answer


@dataclass(frozen=True, slots=True)
class Band:
    """Scores from ``low`` to ``high`` inclusive read as ``label``; with ``with_signs``, only
    when a complicating sign is present (listed before the band it refines)."""

    low: int
    high: int
    label: str
    with_signs: bool = False


@dataclass(frozen=True, slots=True)
class Sign:
    """A complicating sign the answers show whatever the total: item ``item`` at ``at_least``."""

    name: str
    item: str
    at_least: int


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    instrument: Instrument
    version: str
    source: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    clinician_rated: bool = False
    has_total: bool = True
    subscales: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    banded_on: str = "total"
    """``total`` or the subscale name the bands read (BAM has no validated total)."""
    signs: tuple[Sign, ...] = ()
    prorated_up_to: int = 0
    """Scored items that may go unanswered, the total then prorated from the rest: the mean
    of the answered items times the number scored, rounded (PHQ-9: two)."""

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def meaning(self, item_id: str, answer: int) -> str | None:
        """What ``answer`` to the item says, where the form words it."""
        item = self.item(item_id)
        meanings = () if item is None else item.meanings
        return meanings[answer] if 0 <= answer < len(meanings) else None


@dataclass(frozen=True, slots=True)
class Scored:
    answers: dict[str, int]
    total: int | None
    band: str
    subscales: dict[str, int]
    signs: tuple[str, ...] = ()
    unanswered: tuple[str, ...] = ()


def _numbered(
    labels: tuple[str, ...], allowed: frozenset[int], meanings: tuple[str, ...] = ()
) -> tuple[Item, ...]:
    return tuple(
        Item(str(n), label, allowed, meanings=meanings) for n, label in enumerate(labels, start=1)
    )


def _graded(item_id: str, label: str, *values: int) -> Item:
    return Item(item_id, label, frozenset(values))


def _difficulty(item_id: str) -> Item:
    """The closing item of a PHQ-9 or GAD-7: optional, carried with the answers, unscored."""
    return Item(
        item_id,
        "How difficult have these problems made things",
        LIKERT_0_3,
        scored=False,
        required=False,
        meanings=DIFFICULTY,
    )


PHQ9 = InstrumentSpec(
    Instrument.PHQ9,
    "phq9-2001.2",
    PHQ9_SOURCE,
    (
        *_numbered(
            (
                "Little interest or pleasure in doing things",
                "Feeling down, depressed, or hopeless",
                "Trouble falling or staying asleep, or sleeping too much",
                "Feeling tired or having little energy",
                "Poor appetite or overeating",
                "Feeling bad about yourself",
                "Trouble concentrating on things",
                "Moving or speaking slowly, or being fidgety or restless",
                "Thoughts that you would be better off dead or of hurting yourself",
            ),
            LIKERT_0_3,
            OFTEN_0_3,
        ),
        _difficulty("10"),
    ),
    (
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    prorated_up_to=2,
)

GAD7 = InstrumentSpec(
    Instrument.GAD7,
    "gad7-2006.2",
    GAD7_SOURCE,
    (
        *_numbered(
            (
                "Feeling nervous, anxious, or on edge",
                "Not being able to stop or control worrying",
                "Worrying too much about different things",
                "Trouble relaxing",
                "Being so restless that it is hard to sit still",
                "Becoming easily annoyed or irritable",
                "Feeling afraid, as if something awful might happen",
            ),
            LIKERT_0_3,
            OFTEN_0_3,
        ),
        _difficulty("8"),
    ),
    (Band(0, 4, "minimal"), Band(5, 9, "mild"), Band(10, 14, "moderate"), Band(15, 21, "severe")),
)

COWS = InstrumentSpec(
    Instrument.COWS,
    "cows-2003.1",
    COWS_SOURCE,
    (
        _graded(
            "resting_pulse", "Resting pulse (<=80: 0, 81-100: 1, 101-120: 2, >120: 4)", 0, 1, 2, 4
        ),
        _graded("sweating", "Sweating", 0, 1, 2, 3, 4),
        _graded("restlessness", "Restlessness", 0, 1, 3, 5),
        _graded("pupil_size", "Pupil size", 0, 1, 2, 5),
        _graded("bone_joint_aches", "Bone or joint aches", 0, 1, 2, 4),
        _graded("runny_nose_tearing", "Runny nose or tearing", 0, 1, 2, 4),
        _graded("gi_upset", "GI upset", 0, 1, 2, 3, 5),
        _graded("tremor", "Tremor", 0, 1, 2, 4),
        _graded("yawning", "Yawning", 0, 1, 2, 4),
        _graded("anxiety_irritability", "Anxiety or irritability", 0, 1, 2, 4),
        _graded("gooseflesh", "Gooseflesh skin", 0, 3, 5),
    ),
    (
        Band(0, 4, "no clinically relevant withdrawal"),
        Band(5, 12, "mild"),
        Band(13, 24, "moderate"),
        Band(25, 36, "moderately severe"),
        Band(37, 48, "severe"),
    ),
    clinician_rated=True,
)

# SOWS: sixteen symptoms the client rates now, each 0 (not at all) to 4 (extremely); the
# self-report beside the COWS, as at a buprenorphine induction at home.
SOWS = InstrumentSpec(
    Instrument.SOWS,
    "sows-1987.1",
    SOWS_SOURCE,
    _numbered(
        (
            "I feel anxious",
            "I feel like yawning",
            "I am perspiring",
            "My eyes are teary",
            "My nose is running",
            "I have goosebumps",
            "I am shaking",
            "I have hot flushes",
            "I have cold flushes",
            "My bones and muscles ache",
            "I feel restless",
            "I feel nauseous",
            "I feel like vomiting",
            "My muscles twitch",
            "I have stomach cramps",
            "I feel like using now",
        ),
        RATED_0_4,
        FELT_0_4,
    ),
    (
        Band(0, 0, "no withdrawal reported"),
        Band(1, 10, "mild"),
        Band(11, 20, "moderate"),
        Band(21, 64, "severe"),
    ),
)

_CIWA_0_7 = frozenset(range(8))
# ASAM 2020: a severe score with seizure, delirium or hallucinations is "complicated", and any
# of them alone needs attention (domain.md 2.1). Seizure is not a CIWA-Ar item, so the form
# asks it beside the ten (0 no, 1 yes; unscored, optional for answers recorded before it);
# hallucinations are a perceptual item at 4 ("moderately severe hallucinations") or more;
# disorientation to place or person (orientation 4) stands for delirium.
CIWA_AR = InstrumentSpec(
    Instrument.CIWA_AR,
    "ciwa-ar-asam2020.2",
    CIWA_SOURCE,
    (
        Item("nausea_vomiting", "Nausea and vomiting", _CIWA_0_7),
        Item("tremor", "Tremor", _CIWA_0_7),
        Item("paroxysmal_sweats", "Paroxysmal sweats", _CIWA_0_7),
        Item("anxiety", "Anxiety", _CIWA_0_7),
        Item("agitation", "Agitation", _CIWA_0_7),
        Item("tactile_disturbances", "Tactile disturbances", _CIWA_0_7),
        Item("auditory_disturbances", "Auditory disturbances", _CIWA_0_7),
        Item("visual_disturbances", "Visual disturbances", _CIWA_0_7),
        Item("headache", "Headache, fullness in head", _CIWA_0_7),
        Item("orientation", "Orientation and clouding of sensorium", frozenset(range(5))),
        Item(
            "seizure",
            "Withdrawal seizure since the last assessment (0 no, 1 yes)",
            frozenset({0, 1}),
            scored=False,
            required=False,
        ),
    ),
    (
        Band(0, 9, "mild"),
        Band(10, 18, "moderate"),
        Band(19, 67, "complicated", with_signs=True),
        Band(19, 67, "severe"),
    ),
    clinician_rated=True,
    signs=(
        Sign("seizure", "seizure", 1),
        Sign("tactile hallucinations", "tactile_disturbances", 4),
        Sign("auditory hallucinations", "auditory_disturbances", 4),
        Sign("visual hallucinations", "visual_disturbances", 4),
        Sign("disoriented to place or person", "orientation", 4),
    ),
)

# BAM (VA form, Cacciola 2013), each item on its own scale: counts of days (nights) in the
# past 30, ratings from 0 to 4 (physical health excellent to poor; the others not at all to
# extremely) and item 14 no or yes. Subscales add the answers as given. Item 7 (7A-G, the
# substances) elaborates item 6 and is not scored; item 17 (satisfaction) is not scored.
BAM = InstrumentSpec(
    Instrument.BAM,
    "bam-2013.2",
    BAM_SOURCE,
    (
        Item(
            "1",
            "Physical health (0 excellent to 4 poor)",
            RATED_0_4,
            meanings=("excellent", "very good", "good", "fair", "poor"),
        ),
        Item("2", "Nights with trouble falling or staying asleep", DAYS_0_30),
        Item("3", "Days felt depressed, anxious, angry or very upset", DAYS_0_30),
        Item("4", "Days drank alcohol", DAYS_0_30),
        Item("5", "Days had 5 or more drinks (4 for women)", DAYS_0_30, at_most="4"),
        Item("6", "Days used illegal or street drugs or misused prescriptions", DAYS_0_30),
        Item("8", "Bothered by cravings or urges to use (0-4)", RATED_0_4, meanings=HOW_MUCH_0_4),
        Item("9", "Confident of staying abstinent (0-4)", RATED_0_4, meanings=HOW_MUCH_0_4),
        Item("10", "Days attended self-help meetings", DAYS_0_30),
        Item("11", "Days in risky situations or with risky people", DAYS_0_30),
        Item(
            "12",
            "Religion or spirituality supports recovery (0-4)",
            RATED_0_4,
            meanings=HOW_MUCH_0_4,
        ),
        Item("13", "Days worked, went to school or volunteered", DAYS_0_30),
        Item(
            "14",
            "Enough income for necessities (0 no, 1 yes)",
            NO_YES,
            meanings=NO_YES_MEANINGS,
        ),
        Item(
            "15",
            "Bothered by conflict with family or friends (0-4)",
            RATED_0_4,
            meanings=HOW_MUCH_0_4,
        ),
        Item("16", "Days with family or friends supportive of recovery", DAYS_0_30),
        Item(
            "17",
            "Satisfaction with progress toward recovery (0-4)",
            RATED_0_4,
            scored=False,
            required=False,
            meanings=HOW_MUCH_0_4,
        ),
    ),
    (Band(0, 0, "no use reported"), Band(1, 90, "use reported")),
    has_total=False,
    subscales={
        "use": ("4", "5", "6"),
        "risk": ("1", "2", "3", "8", "11", "15"),
        "protective": ("9", "10", "12", "13", "14", "16"),
    },
    banded_on="use",
)

_AUDIT_0_2_4 = frozenset({0, 2, 4})
# AUDIT (WHO): items 1-8 scored 0-4, items 9-10 0 (no), 2 (yes, not in the last year) or 4
# (yes, in the last year); the WHO risk zones.
AUDIT = InstrumentSpec(
    Instrument.AUDIT,
    "audit-who2001.1",
    AUDIT_SOURCE,
    (
        *_numbered(
            (
                "How often a drink containing alcohol",
                "Drinks on a typical drinking day",
                "How often six or more drinks on one occasion",
                "How often unable to stop drinking once started",
                "How often failed to do what was expected because of drinking",
                "How often needed a first drink in the morning",
                "How often guilt or remorse after drinking",
                "How often unable to remember the night before",
            ),
            RATED_0_4,
        ),
        Item("9", "Anyone injured because of the drinking (0, 2 or 4)", _AUDIT_0_2_4),
        Item("10", "Someone concerned about the drinking (0, 2 or 4)", _AUDIT_0_2_4),
    ),
    (
        Band(0, 7, "zone I: low risk"),
        Band(8, 15, "zone II: hazardous"),
        Band(16, 19, "zone III: harmful"),
        Band(20, 40, "zone IV: possible dependence"),
    ),
)

# DAST-10: ten yes/no questions about the past 12 months, answered 0 (no) or 1 (yes); item 3
# ("always able to stop") scores 1 for no.
DAST10 = InstrumentSpec(
    Instrument.DAST10,
    "dast10-1982.1",
    DAST10_SOURCE,
    (
        *(
            Item(str(n), label, NO_YES, meanings=NO_YES_MEANINGS, reverse_scored=n == 3)
            for n, label in enumerate(
                (
                    "Used drugs other than those required for medical reasons",
                    "Used more than one drug at a time",
                    "Always able to stop using drugs when wanted",
                    "Had blackouts or flashbacks from drug use",
                    "Felt bad or guilty about drug use",
                    "Spouse or parents complained about drug use",
                    "Neglected family because of drug use",
                    "Engaged in illegal activities to obtain drugs",
                    "Had withdrawal symptoms on stopping drugs",
                    "Had medical problems from drug use",
                ),
                start=1,
            )
        ),
    ),
    (
        Band(0, 0, "none"),
        Band(1, 2, "low"),
        Band(3, 5, "moderate"),
        Band(6, 8, "substantial"),
        Band(9, 10, "severe"),
    ),
)

INSTRUMENTS: dict[Instrument, InstrumentSpec] = {
    spec.instrument: spec for spec in (PHQ9, GAD7, COWS, SOWS, CIWA_AR, BAM, AUDIT, DAST10)
}


QUOTED_MAX = 40
"""Characters of an unknown item id a refusal quotes back: an item id is a few."""


def quoted(item_id: str) -> str:
    """``item_id`` as a refusal quotes it: in full when short, else only its length."""
    return repr(item_id) if len(item_id) <= QUOTED_MAX else f"of {len(item_id)} characters"


def score(spec: InstrumentSpec, answers: Mapping[str, int]) -> Scored:
    """Validate every answer against the item table, then compute total, subscales and band;
    with up to ``prorated_up_to`` scored items unanswered, the total is prorated and they are
    named (``unanswered``), more are refused naming them all.

    A refusal names the answer by its place among the answers, as a field of a list input
    is named (``answers.<n>.item`` for an item the table does not hold, quoted only when
    short, as the caller's text is no field name for a log to carry; ``answers.<n>.value``
    for an answer refused), and its message the item and what it accepts; items left
    unanswered have no place, and the refusal names ``answers``. It named an answer refused
    by its item (``answers.9``), read as the tenth answer sent, which for a PHQ-9 sent in
    order is the difficulty item, not item 9.
    """
    name = spec.instrument.value
    for n, (item_id, value) in enumerate(answers.items()):
        item = spec.item(item_id)
        if item is None:
            known = ", ".join(i.id for i in spec.items)
            raise InvalidInput(
                f"answers.{n}.item",
                "unknown-item",
                f"{name} has no item {quoted(item_id)}; items: {known}",
            )
        if value not in item.allowed:
            accepted = ", ".join(map(str, sorted(item.allowed)))
            raise InvalidInput(
                f"answers.{n}.value",
                "answer-out-of-range",
                f"{name} item {item_id} ({item.label}) accepts {accepted}, not {value}",
            )
    missing = [i for i in spec.items if i.required and i.id not in answers]
    if missing and (len(missing) > spec.prorated_up_to or not all(i.scored for i in missing)):
        scored_without = (
            f" ({name} is scored with at most {spec.prorated_up_to} unanswered)"
            if spec.prorated_up_to
            else ""
        )
        raise InvalidInput(
            "answers",
            "instrument-incomplete",
            f"{name} is incomplete: answer item(s) {', '.join(i.id for i in missing)}"
            + scored_without,
        )
    for item in spec.items:
        bound = answers.get(item.at_most or "")
        if bound is not None and answers.get(item.id, 0) > bound:
            raise InvalidInput(
                f"answers.{list(answers).index(item.id)}.value",
                "answer-above-item",
                f"{name} item {item.id} ({item.label}) is {answers[item.id]}, more than item"
                f" {item.at_most}'s {bound}, which counts them too",
            )
    scored = [i for i in spec.items if i.scored]
    answered = [i.points(answers[i.id]) for i in scored if i.id in answers]
    total = _prorated(sum(answered), len(answered), len(scored)) if spec.has_total else None
    subscales = {
        sub: sum(answers[item] for item in members) for sub, members in spec.subscales.items()
    }
    banded = total if spec.banded_on == "total" else subscales[spec.banded_on]
    assert banded is not None, "an instrument without a total bands on a subscale"
    signs = tuple(s.name for s in spec.signs if answers.get(s.item, 0) >= s.at_least)
    band = next(
        b.label for b in spec.bands if b.low <= banded <= b.high and (signs or not b.with_signs)
    )
    unanswered = tuple(i.id for i in missing)
    return Scored(dict(answers), total, band, subscales, signs, unanswered)


def _prorated(points: int, answered: int, of: int) -> int:
    """``points`` from ``answered`` items as if all ``of`` had been answered at their mean,
    rounded half up: the points themselves when every item was answered."""
    return (2 * points * of + answered) // (2 * answered)
