"""The medications a program prescribes or hears about, with codes, units, routes and forms.

Codes: RxNorm ingredient RXCUI and WHO ATC. The MAT drugs are from the domain reference
(section 5.1: smart-on-fhir cumulus-library-opioid value sets, rxreasoner ATC pages,
openFDA); the others are RxNorm/ATC ingredient codes to verify in RxNav before release.
``None`` marks a code not yet verified. ``classes`` are what the interaction rules match
on (see ``interactions.py``). A program extends the table with ``Formulary.extended``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from carecoord.events.medication import Dispensing
from carecoord.services.kernel.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Medication:
    code: str
    name: str
    rxnorm: str | None
    atc: str | None
    unit: str
    routes: tuple[str, ...]
    forms: dict[str, str]
    """Dosage form -> strength as the DEA log prints it (``oral solution`` -> ``10 mg/mL``)."""
    classes: frozenset[str]
    dispensing: Dispensing = Dispensing.PHARMACY
    dea_schedule: str = ""
    acts_days: int = 1
    """Days one dose acts: a long-acting injectable's interval (a month), else one day. A
    dose given or handed over counts as exposure for this long (``exposure.py``)."""
    early_days: int = 0
    """Days before its due day a long-acting dose may be given: its interval less the
    label's shortest one between doses. Above 0, the next dose is due an interval after the
    last one actually given, early or late (``dispensing.py``, ``missed.py``); at 0, a dose
    is given on its exact dosing day."""


def _otp(code: str, name: str, rxnorm: str | None, atc: str, forms: dict[str, str], route: str,
         schedule: str, *classes: str, acts_days: int = 1, early_days: int = 0,
         ) -> Medication:  # fmt: skip
    return Medication(code, name, rxnorm, atc, "mg", (route,), forms, frozenset(classes),
                      Dispensing.CLINIC, schedule, acts_days, early_days)  # fmt: skip


MONTHLY = 28
"""XR-naltrexone (380 mg every 4 weeks, Vivitrol label) and XR-buprenorphine (monthly)."""
SUBLOCADE_EARLY = 2
"""Buprenorphine extended-release: "a minimum of 26 days must elapse between doses", two
days short of the monthly interval; a delay of up to two weeks is not expected to matter
(package insert, https://www.accessdata.fda.gov/drugsatfda_docs/label/2025/209819s031lbl.pdf,
as summarized at https://www.drugs.com/medical-answers/long-sublocade-3535230/)."""
VIVITROL_EARLY = 4
"""XR-naltrexone: "every 4 weeks or once a month" (https://vivitrolhcp.com/what-is-vivitrol-od);
the label sets no shortest interval, and clinics give it a few days early. Four days (24 days
after the last) is this table's default [K: for the program's medical director to confirm;
a program changes it in its formulary, ``early_days``]."""


def _rx(code: str, name: str, rxnorm: str | None, atc: str | None, *classes: str,
        route: str = "oral", form: str = "tablet") -> Medication:  # fmt: skip
    return Medication(code, name, rxnorm, atc, "mg", (route,), {form: ""}, frozenset(classes))


OPIOID = ("opioid",)
SEROTONERGIC_OPIOID = ("opioid", "serotonergic_opioid")
"""An opioid with serotonergic activity is not ``serotonergic``, the class of the drugs FDA's
2016 communication warns against beside an opioid (antidepressants, triptans, ondansetron):
methadone beside another opioid met opioid-serotonergic, a serotonin-syndrome finding read as
noise, where two opioids are another concern."""
ANALGESIC = (*OPIOID, "opioid_analgesic")
"""A full-agonist opioid prescribed for pain (``opioid_analgesic``), not for opioid use
disorder: beside methadone or buprenorphine it is opioid-treatment-opioid-analgesic's."""
SEROTONERGIC_ANALGESIC = (*SEROTONERGIC_OPIOID, "opioid_analgesic")

DEFAULT_MEDICATIONS: tuple[Medication, ...] = (
    # Medications for addiction, given or handed over at the window.
    _otp("methadone", "Methadone", "6813", "N07BC02",
         {"oral solution": "10 mg/mL", "oral concentrate": "10 mg/mL", "tablet": "10 mg"},
         "oral", "CII", *SEROTONERGIC_OPIOID, "methadone", "qt_prolonging"),
    _otp("buprenorphine", "Buprenorphine", "1819", "N07BC01",
         {"sublingual tablet": "8 mg", "sublingual film": "8 mg"},
         "sublingual", "CIII", *OPIOID, "buprenorphine"),
    _otp("buprenorphine-naloxone", "Buprenorphine/naloxone", "352364", "N07BC51",
         {"sublingual film": "8 mg/2 mg", "sublingual tablet": "8 mg/2 mg"},
         "sublingual", "CIII", *OPIOID, "buprenorphine"),
    _otp("buprenorphine-xr", "Buprenorphine extended-release injection", "1819", "N07BC01",
         {"injection": "100 mg/0.5 mL"}, "subcutaneous", "CIII", *OPIOID, "buprenorphine",
         acts_days=MONTHLY, early_days=SUBLOCADE_EARLY),
    _otp("naltrexone-xr", "Naltrexone extended-release injectable", "7243", "N07BB04",
         {"injection": "380 mg"}, "intramuscular", "", "opioid_antagonist", acts_days=MONTHLY,
         early_days=VIVITROL_EARLY),
    _otp("naltrexone", "Naltrexone", "7243", "N07BB04", {"tablet": "50 mg"}, "oral", "",
         "opioid_antagonist"),
    _rx("disulfiram", "Disulfiram", "3554", "N07BB01", "disulfiram"),
    _rx("acamprosate", "Acamprosate", None, "N07BB03", "acamprosate",
        form="delayed-release tablet"),
    _rx("naloxone", "Naloxone", "7242", "V03AB15", "opioid_reversal", route="intranasal",
        form="nasal spray"),
    _rx("lofexidine", "Lofexidine", None, "N07BC04", "qt_prolonging"),
    # Antidepressants.
    _rx("sertraline", "Sertraline", "36437", "N06AB06", "ssri", "serotonergic"),
    _rx("escitalopram", "Escitalopram", "321988", "N06AB10", "ssri", "serotonergic",
        "qt_prolonging"),
    _rx("citalopram", "Citalopram", "2556", "N06AB04", "ssri", "serotonergic", "qt_prolonging"),
    _rx("fluoxetine", "Fluoxetine", "4493", "N06AB03", "ssri", "serotonergic", "fluoxetine"),
    _rx("paroxetine", "Paroxetine", "32937", "N06AB05", "ssri", "serotonergic"),
    _rx("fluvoxamine", "Fluvoxamine", "42355", "N06AB08", "ssri", "serotonergic",
        "cyp3a4_inhibitor", "cyp1a2_strong_inhibitor"),
    _rx("venlafaxine", "Venlafaxine", "39786", "N06AX16", "snri", "serotonergic"),
    _rx("duloxetine", "Duloxetine", "72625", "N06AX21", "snri", "serotonergic"),
    _rx("amitriptyline", "Amitriptyline", "704", "N06AA09", "tca", "serotonergic",
        "qt_prolonging", "cns_depressant"),
    _rx("mirtazapine", "Mirtazapine", "15996", "N06AX11", "serotonergic", "cns_depressant"),
    _rx("bupropion", "Bupropion", "42347", "N06AX12", "antidepressant"),
    _rx("phenelzine", "Phenelzine", "8123", "N06AF03", "maoi", "maoi_irreversible",
        "serotonergic"),
    _rx("tranylcypromine", "Tranylcypromine", "10734", "N06AF04", "maoi", "maoi_irreversible",
        "serotonergic"),
    # Anti-anxiety medications and sleep aids.
    _rx("lorazepam", "Lorazepam", "6470", "N05BA06", "benzodiazepine", "cns_depressant"),
    _rx("alprazolam", "Alprazolam", "596", "N05BA12", "benzodiazepine", "cns_depressant"),
    _rx("clonazepam", "Clonazepam", "2598", "N03AE01", "benzodiazepine", "cns_depressant"),
    _rx("diazepam", "Diazepam", "3322", "N05BA01", "benzodiazepine", "cns_depressant"),
    _rx("buspirone", "Buspirone", "1827", "N05BE01", "anxiolytic"),
    _rx("hydroxyzine", "Hydroxyzine", "5553", "N05BB01", "cns_depressant", "qt_prolonging"),
    _rx("zolpidem", "Zolpidem", "39993", "N05CF02", "cns_depressant", "sleep_aid"),
    _rx("trazodone", "Trazodone", "10737", "N06AX05", "serotonergic", "cns_depressant",
        "sleep_aid"),
    _rx("ramelteon", "Ramelteon", "596205", "N05CH02", "ramelteon", "sleep_aid"),
    _rx("diphenhydramine", "Diphenhydramine", "3498", "R06AA02", "cns_depressant", "sleep_aid"),
    # Mood stabilizers, antipsychotics, anticonvulsants.
    _rx("lithium", "Lithium carbonate", "6448", "N05AN01", "mood_stabilizer", form="capsule"),
    _rx("lamotrigine", "Lamotrigine", "28439", "N03AX09", "mood_stabilizer"),
    _rx("valproate", "Valproate", "11118", "N03AG01", "mood_stabilizer"),
    _rx("carbamazepine", "Carbamazepine", "2002", "N03AF01", "mood_stabilizer",
        "cyp3a4_inducer"),
    _rx("phenytoin", "Phenytoin", "8183", "N03AB02", "cyp3a4_inducer", "phenytoin"),
    _rx("quetiapine", "Quetiapine", "51272", "N05AH04", "antipsychotic", "cns_depressant",
        "qt_prolonging"),
    _rx("gabapentin", "Gabapentin", "25480", "N03AX12", "gabapentinoid", form="capsule"),
    _rx("pregabalin", "Pregabalin", "187832", "N03AX16", "gabapentinoid", form="capsule"),
    # Other drugs the interaction table names.
    _rx("tramadol", "Tramadol", "10689", "N02AX02", *SEROTONERGIC_ANALGESIC, "tramadol"),
    _rx("oxycodone", "Oxycodone", "7804", "N02AA05", *ANALGESIC),
    _rx("fentanyl", "Fentanyl", "4337", "N02AB03", *SEROTONERGIC_ANALGESIC,
        route="transdermal", form="patch"),
    _rx("hydrocodone", "Hydrocodone", "5489", "R05DA03", *ANALGESIC),
    _rx("morphine", "Morphine", "7052", "N02AA01", *ANALGESIC),
    _rx("hydromorphone", "Hydromorphone", "3423", "N02AA03", *ANALGESIC),
    _rx("oxymorphone", "Oxymorphone", "7814", "N02AA11", *ANALGESIC),
    _rx("codeine", "Codeine", "2670", "R05DA04", *ANALGESIC),
    _rx("tapentadol", "Tapentadol", "787390", "N02AX06", *SEROTONERGIC_ANALGESIC),
    _rx("meperidine", "Meperidine", "6754", "N02AB02", *SEROTONERGIC_ANALGESIC),
    _rx("phenobarbital", "Phenobarbital", "8134", "N03AA02", "barbiturate", "cns_depressant",
        "cyp3a4_inducer"),
    _rx("butalbital", "Butalbital", None, None, "barbiturate", "cns_depressant"),
    _rx("amphetamine", "Amphetamine", "725", "N06BA01", "stimulant"),
    _rx("methylphenidate", "Methylphenidate", "6901", "N06BA04", "stimulant"),
    _rx("sumatriptan", "Sumatriptan", "37418", "N02CC01", "triptan", "serotonergic"),
    _rx("ondansetron", "Ondansetron", "26225", "A04AA01", "serotonergic", "qt_prolonging"),
    _rx("azithromycin", "Azithromycin", "18631", "J01FA10", "qt_prolonging"),
    _rx("clarithromycin", "Clarithromycin", "21212", "J01FA09", "qt_prolonging",
        "cyp3a4_inhibitor"),
    _rx("ciprofloxacin", "Ciprofloxacin", "2551", "J01MA02", "qt_prolonging",
        "cyp1a2_strong_inhibitor"),
    _rx("levofloxacin", "Levofloxacin", "82122", "J01MA12", "qt_prolonging"),
    _rx("amiodarone", "Amiodarone", "703", "C01BD01", "qt_prolonging", "qt_high_risk"),
    _rx("sotalol", "Sotalol", "9947", "C07AA07", "qt_prolonging", "qt_high_risk"),
    _rx("fluconazole", "Fluconazole", "4450", "J02AC01", "cyp3a4_inhibitor", "qt_prolonging"),
    _rx("ketoconazole", "Ketoconazole", "6135", "J02AB02", "cyp3a4_inhibitor"),
    _rx("ritonavir", "Ritonavir", "85762", "J05AE03", "cyp3a4_inhibitor"),
    _rx("rifampin", "Rifampin", "9384", "J04AB02", "cyp3a4_inducer", form="capsule"),
    _rx("efavirenz", "Efavirenz", "195085", "J05AG03", "cyp3a4_inducer"),
    _rx("st-johns-wort", "St John's wort", None, "N06AX25", "cyp3a4_inducer", "serotonergic",
        form="capsule"),
    _rx("linezolid", "Linezolid", "190376", "J01XX08", "serotonergic", "maoi"),
    _rx("metronidazole", "Metronidazole", "6922", "J01XD01", "metronidazole"),
    _rx("warfarin", "Warfarin", "11289", "B01AA03", "warfarin"),
    _rx("alcohol-containing-product", "Alcohol-containing product (cough syrup, mouthwash)",
        None, None, "alcohol_containing", "cns_depressant", form="liquid"),
)  # fmt: skip


OTHER_NAMES: Mapping[str, str] = {
    **dict.fromkeys(("dolophine", "methadose", "diskets"), "methadone"),
    "subutex": "buprenorphine",
    **dict.fromkeys(
        ("suboxone", "zubsolv", "buprenorphine/naloxone", "buprenorphine and naloxone"),
        "buprenorphine-naloxone",
    ),
    "sublocade": "buprenorphine-xr",
    "vivitrol": "naltrexone-xr",
    "revia": "naltrexone",
    "narcan": "naloxone",
    "antabuse": "disulfiram",
    "campral": "acamprosate",
    "lucemyra": "lofexidine",
    "zoloft": "sertraline", "lexapro": "escitalopram", "celexa": "citalopram",
    "prozac": "fluoxetine", "paxil": "paroxetine", "luvox": "fluvoxamine",
    "effexor": "venlafaxine", "cymbalta": "duloxetine", "elavil": "amitriptyline",
    "remeron": "mirtazapine", "wellbutrin": "bupropion", "nardil": "phenelzine",
    "parnate": "tranylcypromine",
    "ativan": "lorazepam", "xanax": "alprazolam", "klonopin": "clonazepam",
    "valium": "diazepam", "buspar": "buspirone", "vistaril": "hydroxyzine",
    "atarax": "hydroxyzine", "ambien": "zolpidem", "desyrel": "trazodone",
    "rozerem": "ramelteon", "benadryl": "diphenhydramine",
    "lamictal": "lamotrigine", "depakote": "valproate", "divalproex": "valproate",
    "valproic acid": "valproate", "tegretol": "carbamazepine", "dilantin": "phenytoin",
    "seroquel": "quetiapine", "neurontin": "gabapentin", "lyrica": "pregabalin",
    "ultram": "tramadol", "oxycontin": "oxycodone", "roxicodone": "oxycodone",
    "percocet": "oxycodone", "duragesic": "fentanyl",
    "norco": "hydrocodone", "vicodin": "hydrocodone", "lortab": "hydrocodone",
    "ms contin": "morphine", "dilaudid": "hydromorphone", "opana": "oxymorphone",
    "nucynta": "tapentadol", "demerol": "meperidine", "fioricet": "butalbital",
    "fiorinal": "butalbital",
    "adderall": "amphetamine", "ritalin": "methylphenidate", "imitrex": "sumatriptan",
    "zofran": "ondansetron", "zithromax": "azithromycin", "biaxin": "clarithromycin",
    "cipro": "ciprofloxacin", "levaquin": "levofloxacin", "diflucan": "fluconazole",
    "norvir": "ritonavir", "rifampicin": "rifampin", "zyvox": "linezolid",
    "flagyl": "metronidazole", "coumadin": "warfarin", "jantoven": "warfarin",
}  # fmt: skip
"""Brand names and other names a medication is told by, to its code: a client says they take
Xanax or Norco, and a statement of it is alprazolam or hydrocodone to every rule. A
combination product is its ingredient the rules read (Percocet's oxycodone, not its
acetaminophen); one that names two medications of the table (buprenorphine/naloxone) is the
table's combination. Brixadi is none: its doses and intervals are not the monthly
injection's."""
SALTS = frozenset({
    "hydrochloride", "hcl", "sulfate", "sulphate", "bitartrate", "tartrate", "citrate",
    "sodium", "potassium", "besylate", "mesylate", "maleate", "fumarate", "succinate",
    "acetate", "phosphate", "carbonate", "hydrobromide", "pamoate",
})  # fmt: skip
"""A salt named after the medication (methadone hydrochloride, morphine sulfate, zolpidem
tartrate) is the medication: the rules read the active moiety."""


def _said(name: str) -> str:
    """``name`` in lower case, its words separated by one space, none around a slash."""
    return " ".join(name.lower().split()).replace(" /", "/").replace("/ ", "/")


@dataclass(frozen=True, slots=True)
class Formulary:
    """A program's formulary: the defaults plus what the program adds or overrides."""

    medications: dict[str, Medication] = field(
        default_factory=lambda: {m.code: m for m in DEFAULT_MEDICATIONS}
    )
    names: Mapping[str, str] = field(default_factory=lambda: OTHER_NAMES)
    """Other names of its medications (``OTHER_NAMES``), lower case, to their codes."""

    def extended(self, extra: Iterable[Medication]) -> Formulary:
        return Formulary(self.medications | {m.code: m for m in extra}, self.names)

    def written(self, given: str) -> str:
        """``given``, a unit, route or dosage form, as the formulary writes it where one of
        its medications writes it in other letters (``Oral Solution``, `` MG``); else as
        given, for the check that refuses it to name."""
        words = (
            word
            for m in self.medications.values()
            for word in (m.unit, *m.routes, *m.forms)
            if word.casefold() == given.strip().casefold()
        )
        return next(words, given)

    def lookup(self, code: str, field: str = "medication") -> Medication:
        """The medication ``code`` names in whatever letters, spaces around it aside: codes
        are lower-case (``program.py``), so ``Methadone`` is ``methadone`` and names no other;
        a brand or other name (``names``: ``Suboxone``) and a salt after either
        (``methadone hydrochloride``, ``Dilaudid HCl``) are the medication too. What is
        recorded is its ``code``, as the formulary writes it."""
        said = _said(code)
        words = said.split(" ")
        if len(words) > 1 and words[-1] in SALTS:
            said = " ".join(words[:-1])
        found = self.medications.get(said) or self.medications.get(self.names.get(said, ""))
        if found is None:
            known = ", ".join(sorted(self.medications))
            raise InvalidInput(
                field, "not-in-formulary", f"{code!r} is not in the formulary; known: {known}"
            )
        return found


FORMULARY = Formulary()
