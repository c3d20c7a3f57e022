"""Who may record what, for whom: the command side of the access policy, as data.

A write needs the role (``MAY_RECORD``) and, like a read, a relationship with the client
(``relationship_needed``). The read side (who may see which kinds of whose record) is
``services/kernel/policy.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum
from uuid import UUID

from carecoord.events import Actor, Role
from carecoord.services.kernel.errors import Forbidden, Unauthenticated

MAY_RECORD: dict[str, frozenset[Role]] = {
    "enroll_client": frozenset({Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE}),
    "prescribe": frozenset({Role.PRESCRIBER}),
    "administer_dose": frozenset({Role.NURSE, Role.PRESCRIBER}),
    # Medication (issue 4): prescribers order and change; nurses and prescribers dispense.
    "change_dose": frozenset({Role.PRESCRIBER}),
    "taper_order": frozenset({Role.PRESCRIBER}),
    "hold_order": frozenset({Role.PRESCRIBER}),
    "resume_order": frozenset({Role.PRESCRIBER}),
    "discontinue_order": frozenset({Role.PRESCRIBER}),
    "enter_order_in_error": frozenset({Role.PRESCRIBER}),
    "determine_take_home_eligibility": frozenset({Role.PRESCRIBER}),
    "record_medication_statement": frozenset({Role.PRESCRIBER, Role.NURSE}),
    "end_medication_statement": frozenset({Role.PRESCRIBER, Role.NURSE}),
    "replace_dose": frozenset({Role.NURSE, Role.PRESCRIBER}),
    "record_dose_not_given": frozenset({Role.NURSE, Role.PRESCRIBER}),
    "dispense_take_home": frozenset({Role.NURSE, Role.PRESCRIBER}),
    "arrange_guest_dosing": frozenset({Role.NURSE, Role.PRESCRIBER}),
    "end_guest_dosing": frozenset({Role.NURSE, Role.PRESCRIBER}),
    "assign_care_team_member": frozenset({Role.PROGRAM_ADMIN}),
    "end_care_team_membership": frozenset({Role.PROGRAM_ADMIN}),
    "record_consent": frozenset({Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "revoke_consent": frozenset(
        {Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.CLIENT}
    ),
    "break_glass": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "record_disclosure": frozenset(
        {Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.SYSTEM}
    ),
    # Therapy, treatment plan, check-ins and alerts (issue 5). A client records check-ins
    # and self-report instruments about themself only (checked by the check-in record).
    "change_level_of_care": frozenset({Role.PRESCRIBER, Role.THERAPIST}),
    "set_treatment_goal": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "record_goal_progress": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "schedule_session": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "record_attendance": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "record_session_note": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "record_counseling_note": frozenset({Role.PRESCRIBER, Role.THERAPIST}),
    "record_check_in": frozenset(
        {Role.CLIENT, Role.PEER_SUPPORTER, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    ),
    "score_instrument": frozenset(
        {Role.CLIENT, Role.PEER_SUPPORTER, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    ),
    "record_drug_screen": frozenset({Role.PRESCRIBER, Role.NURSE}),
    "record_vital_signs": frozenset({Role.PRESCRIBER, Role.NURSE}),
    "acknowledge_alert": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "resolve_alert": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
}


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated(
            "authorization", "token-required", "send 'Authorization: Bearer <token>'"
        )
    return actor


def authorize(actor: Actor | None, action: str) -> Actor:
    """The actor, if their role may perform ``action``; a refusal naming the roles that may."""
    who = require_actor(actor)
    allowed = MAY_RECORD[action]
    if who.role not in allowed:
        roles = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden("role", "role-may-record", f"{action} needs one of: {roles}")
    return who


class Relationship(StrEnum):
    """What the actor must be to each client a write is about."""

    NONE = "none"
    SELF = "self"
    CARE_TEAM = "care_team"


# Acts that need no standing with the client: enrolling creates the record, and breaking
# the glass is by definition done from outside the care team. Break-glass and consents open
# reads only: a clinician off the team records nothing about the client.
WITHOUT_RELATIONSHIP = frozenset({"enroll_client", "break_glass"})
# Roles that act program-wide: program admins manage care teams and consents; the system
# records what its own components do (disclosures to subscribers, rule-raised alerts).
PROGRAM_WIDE_WRITERS = frozenset({Role.PROGRAM_ADMIN, Role.SYSTEM})


def relationship_needed(actor: Actor, action: str) -> Relationship:
    if action in WITHOUT_RELATIONSHIP or actor.role in PROGRAM_WIDE_WRITERS:
        return Relationship.NONE
    if actor.role is Role.CLIENT:
        return Relationship.SELF
    return Relationship.CARE_TEAM


def admit(actor: Actor, action: str, clients: Iterable[UUID], on_team: Collection[UUID]) -> None:
    """Refuse unless ``actor`` stands in the needed relationship to every one of ``clients``.

    ``on_team``: the clients on whose care team the actor is now, in the role they act in.
    """
    needed = relationship_needed(actor, action)
    for client_id in clients:
        if needed is Relationship.SELF and actor.id != str(client_id):
            raise Forbidden(
                "clientId", "own-record-only", f"a client may {action} only about themself"
            )
        if needed is Relationship.CARE_TEAM and client_id not in on_team:
            raise Forbidden(
                "clientId",
                "care-team-member",
                f"{action} for client {client_id} needs you on their care team as "
                f"{actor.role.value}; ask a program admin to add you (emergency access "
                "opens reads only)",
            )
