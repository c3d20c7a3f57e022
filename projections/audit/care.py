"""The client's place in the program as FHIR R4: Patient (enrolment), EpisodeOfCare (one per
level-of-care stint), CarePlan with its Goals, and CareTeam (memberships over time)."""

from __future__ import annotations

from carecoord.events.care import (
    ClientEnrolled,
    GoalAchievement,
    GoalProgressRecorded,
    LevelOfCareChanged,
    TreatmentGoalSet,
)
from carecoord.events.careteam import CareTeamMemberAssigned, CareTeamMemberEnded
from carecoord.projections.audit.fhir import (
    Resource,
    Resources,
    day,
    derived_id,
    handlers,
    instant,
    member,
    note,
    patient,
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


def level_changed(res: Resources, event: LevelOfCareChanged) -> None:
    for stint in res.of_type("EpisodeOfCare"):
        if stint["status"] == "active":
            ended = res.change(event, "EpisodeOfCare", stint["id"])
            assert ended is not None
            ended["status"] = "finished"
            ended["period"]["end"] = instant(event.occurred_at)
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


HANDLERS = handlers(enrolled, level_changed, goal_set, goal_progress, member_assigned, member_ended)
