"""The client's place in the program as FHIR R4: Patient (enrolment), EpisodeOfCare (one per
level-of-care stint), Encounter (one per treatment episode that a discharge ended or a
readmission began), CarePlan with its Goals, and CareTeam (memberships over time).

A treatment episode is an Encounter whose ``hospitalization`` says how it began and ended:
``reAdmission`` for one a readmission began (``in-progress`` until its discharge), and the
discharge's reason as ``dischargeDisposition`` when it ends (``finished``); a discharge also
finishes the level-of-care stint in progress. An episode from the enrolment shows once it
ends: the enrolment is the Patient. A discharge marked entered in error puts its Encounter
(and stint) back in progress, a readmission marked so nullifies the Encounter it began
(``entered-in-error``), each with a Provenance."""

from __future__ import annotations

from datetime import datetime

from carecoord.events.care import (
    ClientDischarged,
    ClientEnrolled,
    ClientReadmitted,
    DischargeEnteredInError,
    GoalAchievement,
    GoalProgressRecorded,
    LevelOfCareChanged,
    ReadmissionEnteredInError,
    TreatmentGoalSet,
)
from carecoord.events.careteam import CareTeamMemberAssigned, CareTeamMemberEnded
from carecoord.events.envelope import CareEvent
from carecoord.projections.audit.fhir import (
    ACT_CODE,
    Resource,
    Resources,
    day,
    derived_id,
    handlers,
    instant,
    member,
    note,
    patient,
    provenance,
    reference,
    text,
)

GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
# Progress that closes a goal, and the lifecycle status it closes it with.
CLOSING = {GoalAchievement.ACHIEVED: "completed", GoalAchievement.NOT_ATTAINABLE: "cancelled"}


def enrolled(res: Resources, event: ClientEnrolled) -> None:
    res.new(
        event,
        {
            "resourceType": "Patient",
            "id": str(event.client_id),
            "active": True,
            "name": [text(event.display_name)],
            "managingOrganization": {"display": event.program},
        },
    )
    res.new(
        event,
        {**_episode(event, event.occurred_at), "serviceProvider": {"display": event.program}},
    )


def _end_stint(res: Resources, event: LevelOfCareChanged | ClientDischarged) -> None:
    for stint in res.of_type("EpisodeOfCare"):
        if stint["status"] == "active":
            ended = res.change(event, "EpisodeOfCare", stint["id"])
            assert ended is not None
            ended["status"] = "finished"
            ended["period"]["end"] = instant(event.occurred_at)


def episode_id(event: CareEvent, admitted_at: datetime) -> str:
    """The Encounter of the treatment episode that began at ``admitted_at``: named alike by
    the enrolment or readmission that began it and the discharge that ended it."""
    return derived_id("Encounter", event.client_id, instant(admitted_at))


def _episode(event: CareEvent, began: datetime) -> Resource:
    """The treatment episode that began at ``began``, in progress until a discharge
    finishes it."""
    return {
        "resourceType": "Encounter",
        "id": episode_id(event, began),
        "status": "in-progress",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [text("treatment episode")],
        "subject": patient(event),
        "period": {"start": instant(began)},
    }


def readmitted(res: Resources, event: ClientReadmitted) -> None:
    res.new(
        event,
        {
            **_episode(event, event.occurred_at),
            "hospitalization": {"reAdmission": text("readmission")},
            "serviceProvider": {"display": event.program},
        },
    )


def discharged(res: Resources, event: ClientDischarged) -> None:
    """Finish the episode in progress: the enrolment's or readmission's Encounter, or, where
    that lies outside the export, one begun at the episode's start."""
    _end_stint(res, event)
    found = episode_id(event, event.admitted_at)
    episode = res.change(event, "Encounter", found) or res.new(
        event, _episode(event, event.admitted_at)
    )
    episode["status"] = "finished"
    episode["period"]["end"] = instant(event.occurred_at)
    episode.setdefault("hospitalization", {})["dischargeDisposition"] = text(event.reason.value)


def discharge_in_error(res: Resources, event: DischargeEnteredInError) -> None:
    """The episode the discharge ended goes on: its Encounter is in progress again, with no
    end or disposition, and the level-of-care stint the discharge finished is active again;
    a Provenance (UPDATE) on the Encounter says who, when and why."""
    ended = instant(event.discharged_at)
    stints = [s for s in res.of_type("EpisodeOfCare") if s["period"].get("end") == ended]
    if stints:
        latest = max(stints, key=lambda s: str(s["period"]["start"]))
        stint = res.change(event, "EpisodeOfCare", latest["id"])
        assert stint is not None
        stint["status"] = "active"
        del stint["period"]["end"]
    found = episode_id(event, event.admitted_at)
    episode = res.change(event, "Encounter", found)
    if episode is None:
        return
    episode["status"] = "in-progress"
    episode["period"].pop("end", None)
    stay = episode.get("hospitalization", {})
    stay.pop("dischargeDisposition", None)
    if not stay:
        episode.pop("hospitalization", None)
    _corrected(res, event, found, "UPDATE")


def readmission_in_error(res: Resources, event: ReadmissionEnteredInError) -> None:
    """The episode the readmission began is nullified (``entered-in-error``), never
    removed; the one before stays finished. A Provenance (NULLIFY) says who, when and why."""
    found = episode_id(event, event.readmitted_at)
    episode = res.change(event, "Encounter", found)
    if episode is None:
        return
    episode["status"] = "entered-in-error"
    _corrected(res, event, found, "NULLIFY")


def _corrected(
    res: Resources,
    event: DischargeEnteredInError | ReadmissionEnteredInError,
    encounter_id: str,
    operation: str,
) -> None:
    res.new(
        event,
        provenance(
            event,
            reference("Encounter", encounter_id),
            operation,
            event.reason,
            masked=res.masked(event, "reason"),
        ),
    )


def level_changed(res: Resources, event: LevelOfCareChanged) -> None:
    _end_stint(res, event)
    level = {"text": event.level.value}
    if event.asam_level:
        level["text"] += f" (ASAM {event.asam_level})"
    res.new(
        event,
        {
            "resourceType": "EpisodeOfCare",
            "id": str(event.event_id),
            "status": "active",
            "type": [level],
            "patient": patient(event),
            "period": {"start": instant(event.occurred_at)},
        },
    )


def goal_set(res: Resources, event: TreatmentGoalSet) -> None:
    goal: Resource = {
        "resourceType": "Goal",
        "id": str(event.goal_id),
        "lifecycleStatus": "active",
        "description": text(event.description),
        "subject": patient(event),
        "startDate": day(res.day_of(event.occurred_at)),
    }
    if event.target_date is not None:
        goal["target"] = [{"dueDate": day(event.target_date)}]
    res.new(event, goal)
    plan_id = derived_id("CarePlan", event.client_id)
    plan = res.change(event, "CarePlan", plan_id) or res.new(
        event,
        {
            "resourceType": "CarePlan",
            "id": plan_id,
            "status": "active",
            "intent": "plan",
            "title": "Treatment plan",
            "subject": patient(event),
            "created": instant(event.occurred_at),
            "careTeam": [reference("CareTeam", derived_id("CareTeam", event.client_id))],
            "goal": [],
        },
    )
    plan["goal"].append(reference("Goal", event.goal_id))


def goal_progress(res: Resources, event: GoalProgressRecorded) -> None:
    goal = res.change(event, "Goal", event.goal_id)
    if goal is None:
        return
    goal["achievementStatus"] = {
        "coding": [{"system": GOAL_ACHIEVEMENT, "code": event.achievement.value}]
    }
    goal["statusDate"] = day(res.day_of(event.occurred_at))
    if event.achievement in CLOSING:
        goal["lifecycleStatus"] = CLOSING[event.achievement]
    for said in note(event.note, res.masked(event, "note")):
        goal.setdefault("note", []).append({**said, "time": instant(event.occurred_at)})


def member_assigned(res: Resources, event: CareTeamMemberAssigned) -> None:
    team_id = derived_id("CareTeam", event.client_id)
    team = res.change(event, "CareTeam", team_id) or res.new(
        event,
        {
            "resourceType": "CareTeam",
            "id": team_id,
            "status": "active",
            "name": "Care team",
            "subject": patient(event),
            "participant": [],
        },
    )
    team["participant"].append(
        {
            "role": [text(event.role.value)],
            "member": member(event.member_id, event.role.value),
            "period": {"start": instant(event.occurred_at)},
        }
    )


def member_ended(res: Resources, event: CareTeamMemberEnded) -> None:
    team = res.change(event, "CareTeam", derived_id("CareTeam", event.client_id))
    if team is None:
        return
    for taking_part in team["participant"]:
        period = taking_part["period"]
        if taking_part["member"]["identifier"]["value"] == event.member_id and "end" not in period:
            period["end"] = instant(event.occurred_at)


HANDLERS = handlers(
    enrolled,
    discharged,
    readmitted,
    discharge_in_error,
    readmission_in_error,
    level_changed,
    goal_set,
    goal_progress,
    member_assigned,
    member_ended,
)
