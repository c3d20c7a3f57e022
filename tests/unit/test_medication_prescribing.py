"""Prescribing rules on one client's record: the whole picture is checked at every step."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from medication_story import Story

from carecoord.events.medication import (
    DoseChanged,
    InteractionFound,
    StatementSource,
    TakeHomeCriterion,
    TaperOrdered,
)
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.medication import eligibility, statements
from carecoord.services.medication.eligibility import EligibilityDecision
from carecoord.services.medication.statements import Statement
from carecoord.services.medication.take_homes import CRITERIA


def findings(story: Story) -> list[InteractionFound]:
    return [r.event for r in story.record.pending if isinstance(r.event, InteractionFound)]


def test_a_benzodiazepine_with_methadone_needs_an_acknowledgement_naming_the_rule() -> None:
    story = Story()
    story.prescribe("methadone")
    before = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("lorazepam", "1")

    assert refused.value.rule == "opioid-cns-depressant"
    assert refused.value.field == "acknowledgements"
    assert "fda.gov" in refused.value.message
    assert len(story.record.pending) == before, "nothing recorded on a refusal"


def test_an_acknowledged_high_finding_is_recorded_with_rule_version_and_reason() -> None:
    story = Story()
    methadone = story.prescribe("methadone")
    lorazepam = story.prescribe("lorazepam", "1", ack={"opioid-cns-depressant": "taper planned"})

    [found] = findings(story)
    assert found.rule_id == "opioid-cns-depressant"
    assert found.rule_version == "2"
    assert found.severity == "high"
    assert found.acknowledged_reason == "taper planned"
    assert {i.id for i in found.implicated} == {methadone, lorazepam}
    assert found.summary().startswith("Interaction alert (high): lorazepam + methadone")


def test_naltrexone_with_an_active_opioid_agonist_is_a_hard_stop_even_acknowledged() -> None:
    story = Story()
    story.prescribe("buprenorphine", "16", route="sublingual")

    with pytest.raises(RuleViolation) as refused:
        story.prescribe("naltrexone", "50", ack={"naltrexone-opioid-agonist": "sure"})

    assert refused.value.rule == "naltrexone-opioid-agonist"
    assert "discontinue buprenorphine first" in refused.value.message


def test_naltrexone_is_allowed_once_the_agonist_is_discontinued() -> None:
    story = Story()
    bup = story.prescribe("buprenorphine", "16", route="sublingual")
    story.discontinue(bup, reason="switching to naltrexone")

    story.prescribe("naltrexone", "50")

    assert story.types()[-1] == "MedicationPrescribed"
    assert findings(story) == []


def test_moderate_findings_are_recorded_without_acknowledgement() -> None:
    story = Story()
    story.prescribe("buprenorphine", "16", route="sublingual")
    story.prescribe("sertraline", "50")

    [found] = findings(story)
    assert (found.rule_id, found.severity) == ("opioid-serotonergic", "moderate")


def test_two_opioids_are_no_serotonergic_finding() -> None:
    """FDA's 2016 communication is about an opioid beside a serotonergic drug; methadone beside
    any other opioid met opioid-serotonergic, as methadone was of the serotonergic class.
    Analgesics beside methadone are opioid-treatment-opioid-analgesic's finding alone."""
    beside = "opioid-treatment-opioid-analgesic"
    pain_plan = {beside: "acute pain, plan agreed with the surgeon"}
    story = Story()
    story.prescribe("methadone", "30")
    story.prescribe("oxycodone", "10", ack=pain_plan)
    story.prescribe("tramadol", "50", ack=pain_plan)
    assert {f.rule_id for f in findings(story)} == {beside}

    story.prescribe("sertraline", "50")
    assert {(f.rule_id, f.rule_version) for f in findings(story)} - {(beside, "1")} == {
        ("opioid-serotonergic", "2"),
        ("tramadol-ssri-snri", "1"),
    }


def test_a_second_serotonergic_antidepressant_is_a_moderate_finding() -> None:
    story = Story()
    sertraline = story.prescribe("sertraline", "50")
    story.change(sertraline, "100", date(2026, 1, 5))  # the same medication again: none
    venlafaxine = story.prescribe("venlafaxine", "75", start=date(2026, 1, 5))

    [found] = findings(story)
    rule = ("serotonergic-antidepressants", "1", "moderate")
    assert (found.rule_id, found.rule_version, found.severity) == rule
    assert venlafaxine in {i.id for i in found.implicated}


def test_an_antidepressant_ordered_here_and_taken_from_another_prescriber_is_found() -> None:
    story = Story()
    statements.record_statement(
        story.record, story.stamp(), story.rules, uuid4(),
        Statement("Zoloft", StatementSource.OTHER_PRESCRIBER),
    )  # fmt: skip
    story.prescribe("sertraline", "50")

    assert [f.rule_id for f in findings(story)] == ["serotonergic-antidepressants"]


def test_a_statement_from_the_pdmp_is_part_of_the_picture_and_never_refused() -> None:
    story = Story()
    story.prescribe("methadone")
    statement_id = uuid4()
    found = statements.record_statement(
        story.record, story.stamp(), story.rules, statement_id,
        Statement("alprazolam", StatementSource.PDMP, source_detail="state PDMP report"),
    )  # fmt: skip

    assert [f.rule_id for f in found] == ["opioid-cns-depressant"]
    assert found[0].implicated[0].is_statement is True
    with pytest.raises(RuleViolation, match="opioid-cns-depressant"):
        story.prescribe("clonazepam", "1")  # the statement already counts; a new benzo is high


def test_a_hard_stop_also_fires_against_a_statement() -> None:
    story = Story()
    statements.record_statement(
        story.record, story.stamp(), story.rules, uuid4(),
        Statement("oxycodone", StatementSource.OTHER_PRESCRIBER),
    )  # fmt: skip
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("naltrexone", "50")
    assert refused.value.rule == "naltrexone-opioid-agonist"


def test_a_dose_change_is_a_new_order_linked_to_the_old_which_ends_the_day_before() -> None:
    story = Story()
    old = story.prescribe("methadone", "60")
    new = story.change(old, "80", date(2026, 1, 5))

    [event] = story.events(DoseChanged)
    assert (event.prior_order_id, event.prior_dose, event.dose) == (old, Decimal(60), Decimal(80))
    assert event.summary() == "Dose changed: methadone 60 mg → 80 mg from 2026-01-05"
    assert story.record.orders[old].end == date(2026, 1, 4)
    assert story.record.orders[old].replaced_by == new


def test_a_dose_change_cannot_start_on_a_day_already_dosed() -> None:
    story = Story()
    old = story.prescribe("methadone", "60")
    story.dose(old, date(2026, 1, 3))

    with pytest.raises(RuleViolation) as refused:
        story.change(old, "80", date(2026, 1, 3))

    assert refused.value.rule == "start-after-last-dispensed"
    assert "2026-01-04 or later" in refused.value.message


def test_a_dose_change_rechecks_the_picture_without_the_replaced_order() -> None:
    story = Story()
    old = story.prescribe("methadone", "60")
    story.prescribe("lorazepam", "1", ack={"opioid-cns-depressant": "managed"})
    with pytest.raises(RuleViolation, match="opioid-cns-depressant"):
        story.change(old, "80", date(2026, 1, 5))
    story.change(old, "80", date(2026, 1, 5), ack={"opioid-cns-depressant": "still managed"})
    assert len(findings(story)) == 2


def test_a_taper_steps_down_and_records_blind() -> None:
    story = Story()
    old = story.prescribe("methadone", "60")
    steps = [(date(2026, 2, 1), "50"), (date(2026, 2, 8), "40"), (date(2026, 2, 15), "30")]
    new = story.taper(old, steps, blind=True)

    event = story.record.pending[-1].event
    assert isinstance(event, TaperOrdered)
    assert event.blind is True
    assert event.summary() == "Taper ordered: methadone 50 mg in 3 steps to 30 mg"
    order = story.record.orders[new]
    assert [order.dose_on(date(2026, 2, d)) for d in (1, 7, 8, 20)] == [50, 50, 40, 30]


def test_taper_steps_must_move_forward_in_time() -> None:
    story = Story()
    old = story.prescribe("methadone", "60")
    with pytest.raises(InvalidInput) as refused:
        story.taper(old, [(date(2026, 2, 8), "40"), (date(2026, 2, 1), "30")])
    assert (refused.value.field, refused.value.rule) == ("steps.1.start", "taper-steps-in-order")


def test_one_current_order_per_medication() -> None:
    story = Story()
    story.prescribe("methadone")
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("methadone", "80")
    assert refused.value.rule == "one-order-per-medication"
    assert "change its dose" in refused.value.message


def test_hold_and_resume_and_the_refusals_that_say_why() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.hold(order, "QTc 510 ms")
    with pytest.raises(RuleViolation, match="on hold since 2026-01-01 08:00, placed by dr-lee"):
        story.hold(order, "again")
    story.resume(order, "ECG reviewed")
    with pytest.raises(RuleViolation, match="not on hold"):
        story.resume(order, "again")


def test_discontinued_and_entered_in_error_orders_leave_the_picture() -> None:
    story = Story()
    methadone = story.prescribe("methadone")
    story.discontinue(methadone, reason="completed taper")
    with pytest.raises(RuleViolation, match="stopped on 2026-01-01 by dr-lee") as stopped:
        story.hold(methadone, "x")
    assert "completed taper" not in stopped.value.message
    story.prescribe("lorazepam", "1")
    story.discontinue_in_error(methadone)
    with pytest.raises(RuleViolation, match="already marked in error"):
        story.discontinue_in_error(methadone)
    assert findings(story) == []


def test_unknown_order_is_not_found() -> None:
    story = Story()
    with pytest.raises(NotFound) as refused:
        story.hold(uuid4(), "x")
    assert (refused.value.field, refused.value.rule) == ("orderId", "unknown-order")


@pytest.mark.parametrize(
    ("medication", "dose", "route", "field"),
    [
        ("unobtainium", "60", "oral", "medication"),
        ("methadone", "0", "oral", "dose"),
        ("methadone", "60", "intravenous", "route"),
    ],
)
def test_invalid_orders_name_the_field(medication: str, dose: str, route: str, field: str) -> None:
    story = Story()
    with pytest.raises(InvalidInput) as refused:
        story.prescribe(medication, dose, route=route)
    assert refused.value.field == field


def test_eligibility_needs_every_criterion_assessed_and_met_for_any_days() -> None:
    story = Story()
    all_met = tuple(TakeHomeCriterion(criterion=c, met=True) for c in CRITERIA)
    one_unmet = tuple(
        TakeHomeCriterion(criterion=c, met=c != "regular-attendance") for c in CRITERIA
    )

    with pytest.raises(InvalidInput, match="missing"):
        eligibility.determine_eligibility(
            story.record, story.stamp(), EligibilityDecision(7, all_met[1:])
        )
    with pytest.raises(RuleViolation, match="regular-attendance"):
        eligibility.determine_eligibility(
            story.record, story.stamp(), EligibilityDecision(7, one_unmet)
        )
    eligibility.determine_eligibility(
        story.record, story.stamp(), EligibilityDecision(7, all_met, "stable")
    )
    determined = story.record.eligibility_at(story.now)
    assert determined is not None
    assert determined.max_days == 7


def test_a_medication_is_named_by_its_code_in_any_letters_and_recorded_as_the_formulary_writes_it(
) -> None:
    story = Story()
    story.prescribe(" Methadone ")

    [order] = story.record.orders.values()
    assert order.medication == "methadone"
    with pytest.raises(RuleViolation) as again:
        story.prescribe("METHADONE")
    assert again.value.rule == "one-order-per-medication"
    with pytest.raises(RuleViolation) as lorazepam:
        story.prescribe("LoRazepam", "1")
    assert lorazepam.value.rule == "opioid-cns-depressant", "the rules read the code"
