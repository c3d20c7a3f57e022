"""Who may record what, for whom: the command side of the access policy, as data.

A write needs the role (``MAY_RECORD``) and, like a read, a relationship with the client
(``relationship_needed``). The read side (who may see which kinds of whose record) is
``services/kernel/policy.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from uuid import UUID

from carecoord.events import Actor, Role
from carecoord.services.kernel.errors import Forbidden, Unauthenticated


class Action(StrEnum):
    """What a write does: the key of its permission, checked by the type checker rather
    than matched as a string."""

    ENROLL_CLIENT = "enroll_client"
    DISCHARGE_CLIENT = "discharge_client"
    READMIT_CLIENT = "readmit_client"
    ENTER_DISCHARGE_IN_ERROR = "enter_discharge_in_error"
    ENTER_READMISSION_IN_ERROR = "enter_readmission_in_error"
    PRESCRIBE = "prescribe"
    ADMINISTER_DOSE = "administer_dose"
    CHANGE_DOSE = "change_dose"
    TAPER_ORDER = "taper_order"
    HOLD_ORDER = "hold_order"
    RESUME_ORDER = "resume_order"
    DISCONTINUE_ORDER = "discontinue_order"
    ENTER_ORDER_IN_ERROR = "enter_order_in_error"
    DETERMINE_TAKE_HOME_ELIGIBILITY = "determine_take_home_eligibility"
    RECORD_MEDICATION_STATEMENT = "record_medication_statement"
    END_MEDICATION_STATEMENT = "end_medication_statement"
    ENTER_STATEMENT_IN_ERROR = "enter_statement_in_error"
    REPLACE_DOSE = "replace_dose"
    ENTER_DOSE_IN_ERROR = "enter_dose_in_error"
    RECORD_DOSE_NOT_GIVEN = "record_dose_not_given"
    ENTER_NOT_GIVEN_IN_ERROR = "enter_not_given_in_error"
    DISPENSE_TAKE_HOME = "dispense_take_home"
    ENTER_TAKE_HOME_IN_ERROR = "enter_take_home_in_error"
    RETURN_TAKE_HOME = "return_take_home"
    WITNESS_TAKE_HOME_RETURN = "witness_take_home_return"
    ARRANGE_GUEST_DOSING = "arrange_guest_dosing"
    END_GUEST_DOSING = "end_guest_dosing"
    ASSIGN_CARE_TEAM_MEMBER = "assign_care_team_member"
    END_CARE_TEAM_MEMBERSHIP = "end_care_team_membership"
    RECORD_CONSENT = "record_consent"
    REVOKE_CONSENT = "revoke_consent"
    BREAK_GLASS = "break_glass"
    RECORD_DISCLOSURE = "record_disclosure"
    CHANGE_LEVEL_OF_CARE = "change_level_of_care"
    SET_TREATMENT_GOAL = "set_treatment_goal"
    RECORD_GOAL_PROGRESS = "record_goal_progress"
    SCHEDULE_SESSION = "schedule_session"
    CANCEL_SESSION = "cancel_session"
    CLOSE_PROGRAM = "close_program"
    LIFT_PROGRAM_CLOSURE = "lift_program_closure"
    RECORD_ATTENDANCE = "record_attendance"
    CORRECT_SESSION_OUTCOME = "correct_session_outcome"
    RECORD_SESSION_NOTE = "record_session_note"
    RECORD_COUNSELING_NOTE = "record_counseling_note"
    ENTER_NOTE_IN_ERROR = "enter_note_in_error"
    RECORD_CHECK_IN = "record_check_in"
    SCORE_INSTRUMENT = "score_instrument"
    RECORD_DRUG_SCREEN = "record_drug_screen"
    RECORD_VITAL_SIGNS = "record_vital_signs"
    ENTER_CHECK_IN_IN_ERROR = "enter_check_in_in_error"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    RESOLVE_ALERT = "resolve_alert"
    RECEIVE_STOCK = "receive_stock"
    COUNT_STOCK = "count_stock"
    WASTE_STOCK = "waste_stock"
    TRANSFER_STOCK = "transfer_stock"
    WITNESS_STOCK_ENTRY = "witness_stock_entry"
    RESOLVE_STOCK_DISCREPANCY = "resolve_stock_discrepancy"
    ENTER_STOCK_ENTRY_IN_ERROR = "enter_stock_entry_in_error"
    REGISTER_DISPENSING_SITE = "register_dispensing_site"
    RETIRE_DISPENSING_SITE = "retire_dispensing_site"
    SUSPEND_USER = "suspend_user"
    REINSTATE_USER = "reinstate_user"

    @property
    def said(self) -> str:
        """As a refusal says it to whoever sent the request: words, not a Python name."""
        return self.value.replace("_", " ")


_KEEPERS = frozenset({Role.NURSE, Role.PRESCRIBER, Role.PROGRAM_ADMIN})
_ACCOUNTABLE = frozenset({Role.PRESCRIBER, Role.PROGRAM_ADMIN})
MAY_SCHEDULE = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})
"""Who books a therapy session, and so cancels one in advance for any reason."""
MAY_RECORD: dict[Action, frozenset[Role]] = {
    Action.ENROLL_CLIENT: frozenset({Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE}),
    # An episode ends and begins again on the program's decision: its medical staff's (a
    # prescriber) or its administration's, never on a nurse's or counselor's alone.
    Action.DISCHARGE_CLIENT: _ACCOUNTABLE,
    Action.READMIT_CLIENT: _ACCOUNTABLE,
    # Those who record them mark them entered in error.
    Action.ENTER_DISCHARGE_IN_ERROR: _ACCOUNTABLE,
    Action.ENTER_READMISSION_IN_ERROR: _ACCOUNTABLE,
    Action.PRESCRIBE: frozenset({Role.PRESCRIBER}),
    Action.ADMINISTER_DOSE: frozenset({Role.NURSE, Role.PRESCRIBER}),
    # Medication (issue 4): prescribers order and change; nurses and prescribers dispense.
    Action.CHANGE_DOSE: frozenset({Role.PRESCRIBER}),
    Action.TAPER_ORDER: frozenset({Role.PRESCRIBER}),
    Action.HOLD_ORDER: frozenset({Role.PRESCRIBER}),
    Action.RESUME_ORDER: frozenset({Role.PRESCRIBER}),
    Action.DISCONTINUE_ORDER: frozenset({Role.PRESCRIBER}),
    Action.ENTER_ORDER_IN_ERROR: frozenset({Role.PRESCRIBER}),
    Action.DETERMINE_TAKE_HOME_ELIGIBILITY: frozenset({Role.PRESCRIBER}),
    Action.RECORD_MEDICATION_STATEMENT: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Action.END_MEDICATION_STATEMENT: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Action.ENTER_STATEMENT_IN_ERROR: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Action.REPLACE_DOSE: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.ENTER_DOSE_IN_ERROR: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.RECORD_DOSE_NOT_GIVEN: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.ENTER_NOT_GIVEN_IN_ERROR: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.DISPENSE_TAKE_HOME: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.ENTER_TAKE_HOME_IN_ERROR: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.RETURN_TAKE_HOME: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.WITNESS_TAKE_HOME_RETURN: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.ARRANGE_GUEST_DOSING: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.END_GUEST_DOSING: frozenset({Role.NURSE, Role.PRESCRIBER}),
    Action.ASSIGN_CARE_TEAM_MEMBER: frozenset({Role.PROGRAM_ADMIN}),
    Action.END_CARE_TEAM_MEMBERSHIP: frozenset({Role.PROGRAM_ADMIN}),
    Action.RECORD_CONSENT: frozenset(
        {Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    ),
    Action.REVOKE_CONSENT: frozenset(
        {Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.CLIENT}
    ),
    Action.BREAK_GLASS: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Action.RECORD_DISCLOSURE: frozenset(
        {Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.SYSTEM}
    ),
    # Therapy, treatment plan, check-ins and alerts (issue 5). A client records check-ins
    # and self-report instruments about themself only (checked by the check-in record).
    Action.CHANGE_LEVEL_OF_CARE: frozenset({Role.PRESCRIBER, Role.THERAPIST}),
    Action.SET_TREATMENT_GOAL: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Action.RECORD_GOAL_PROGRESS: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Action.SCHEDULE_SESSION: MAY_SCHEDULE,
    # A program closing (weather, an emergency) is its admin's call: a program admin cancels
    # with the reason program_closure only (``therapy/commands.py``), any other is the
    # booking clinicians'.
    Action.CANCEL_SESSION: MAY_SCHEDULE | {Role.PROGRAM_ADMIN},
    # Its sessions cancelled at once, for the program its admin's token names.
    Action.CLOSE_PROGRAM: frozenset({Role.PROGRAM_ADMIN}),
    Action.LIFT_PROGRAM_CLOSURE: frozenset({Role.PROGRAM_ADMIN}),
    Action.RECORD_ATTENDANCE: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Action.CORRECT_SESSION_OUTCOME: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Action.RECORD_SESSION_NOTE: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Action.RECORD_COUNSELING_NOTE: frozenset({Role.PRESCRIBER, Role.THERAPIST}),
    Action.ENTER_NOTE_IN_ERROR: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Action.RECORD_CHECK_IN: frozenset(
        {Role.CLIENT, Role.PEER_SUPPORTER, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    ),
    Action.SCORE_INSTRUMENT: frozenset(
        {Role.CLIENT, Role.PEER_SUPPORTER, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    ),
    Action.RECORD_DRUG_SCREEN: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Action.RECORD_VITAL_SIGNS: frozenset({Role.PRESCRIBER, Role.NURSE}),
    # Those on the care team who may record the entry (services/checkins/record.py narrows
    # it to them); a client's own report is corrected by their team, not by the client.
    Action.ENTER_CHECK_IN_IN_ERROR: frozenset(
        {Role.PEER_SUPPORTER, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    ),
    Action.ACKNOWLEDGE_ALERT: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    Action.RESOLVE_ALERT: frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    # A site's controlled-substance stock (issue 15): the dispensing staff and the program's
    # admins keep it; a discrepancy is resolved, and a receipt or waste marked entered in
    # error, by a prescriber (the medical director) or an admin, not by the nurses whose
    # counts and doses it is about.
    Action.RECEIVE_STOCK: _KEEPERS,
    Action.COUNT_STOCK: _KEEPERS,
    Action.WASTE_STOCK: _KEEPERS,
    Action.TRANSFER_STOCK: _KEEPERS,
    Action.WITNESS_STOCK_ENTRY: _KEEPERS,
    Action.RESOLVE_STOCK_DISCREPANCY: _ACCOUNTABLE,
    Action.ENTER_STOCK_ENTRY_IN_ERROR: _ACCOUNTABLE,
    # The program's dispensing sites (which a transfer may go to): its admins keep the list.
    Action.REGISTER_DISPENSING_SITE: frozenset({Role.PROGRAM_ADMIN}),
    Action.RETIRE_DISPENSING_SITE: frozenset({Role.PROGRAM_ADMIN}),
    # A user's access to the platform (a staff member who left, a token stolen): the
    # program's admins end it at once and give it back.
    Action.SUSPEND_USER: frozenset({Role.PROGRAM_ADMIN}),
    Action.REINSTATE_USER: frozenset({Role.PROGRAM_ADMIN}),
}
# Acts on a site's stock, not on any client's record: the role decides (and a program admin's
# program, a site being a program), and the stamp signs events about that site's stock only
# (``AccessGate.stamp_site``); no client may be named for them.
SITE_ACTIONS = frozenset(
    {
        Action.RECEIVE_STOCK,
        Action.COUNT_STOCK,
        Action.WASTE_STOCK,
        Action.TRANSFER_STOCK,
        Action.WITNESS_STOCK_ENTRY,
        Action.RESOLVE_STOCK_DISCREPANCY,
        Action.ENTER_STOCK_ENTRY_IN_ERROR,
        Action.REGISTER_DISPENSING_SITE,
        Action.RETIRE_DISPENSING_SITE,
    }
)
SITE_NAME_ACTIONS = frozenset({Action.REGISTER_DISPENSING_SITE, Action.RETIRE_DISPENSING_SITE})
"""Site actions that record on the record of the site's name too (``site_name_id``)."""
# Acts on a user's access record (``user_record_id``), not on any client's record: the role
# decides, and the stamp signs events about that user's record only
# (``AccessGate.stamp_user``).
USER_ACTIONS = frozenset({Action.SUSPEND_USER, Action.REINSTATE_USER})


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated(
            "authorization", "token-required", "send 'Authorization: Bearer <token>'"
        )
    return actor


def authorize(actor: Actor | None, action: Action) -> Actor:
    """The actor, if their role may perform ``action``; a refusal naming the roles that may."""
    who = require_actor(actor)
    allowed = MAY_RECORD[action]
    if who.role not in allowed:
        roles = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden("role", "role-may-record", f"{action.said} needs one of: {roles}")
    return who


class Relationship(StrEnum):
    """What the actor must be to each client a write is about."""

    NONE = "none"
    SELF = "self"
    CARE_TEAM = "care_team"


# Acts that need no standing with the client: enrolling creates the record, and breaking
# the glass is by definition done from outside the care team. Break-glass and consents open
# reads only: a clinician off the team records nothing about the client.
WITHOUT_RELATIONSHIP = frozenset({Action.ENROLL_CLIENT, Action.BREAK_GLASS})
# Roles that act program-wide: program admins manage care teams and consents; the system
# records what its own components do (disclosures to subscribers, rule-raised alerts).
PROGRAM_WIDE_WRITERS = frozenset({Role.PROGRAM_ADMIN, Role.SYSTEM})


def relationship_needed(actor: Actor, action: Action) -> Relationship:
    if action in WITHOUT_RELATIONSHIP or actor.role in PROGRAM_WIDE_WRITERS:
        return Relationship.NONE
    if actor.role is Role.CLIENT:
        return Relationship.SELF
    return Relationship.CARE_TEAM


def admit(
    actor: Actor,
    action: Action,
    clients: Iterable[UUID],
    on_team: Collection[UUID],
    fields: Mapping[UUID, str] | None = None,
) -> None:
    """Refuse unless ``actor`` stands in the needed relationship to every one of ``clients``,
    the first refused in their order.

    ``on_team``: the clients on whose care team the actor is now, in the role they act in.
    ``fields``: the input field naming each client, where it is not ``clientId`` (a
    group's ``clientIds.1``, an attendance's ``attendance.1.clientId``).
    """
    if action in SITE_ACTIONS:
        raise Forbidden(
            "clientId", "site-action", f"{action.said} is about a site's stock, no client"
        )
    if action in USER_ACTIONS:
        raise Forbidden("clientId", "user-action", f"{action.said} is about a user, no client")
    needed = relationship_needed(actor, action)
    for client_id in clients:
        field = (fields or {}).get(client_id, "clientId")
        if needed is Relationship.SELF and actor.id != str(client_id):
            raise Forbidden(
                field, "own-record-only", f"a client may {action.said} only about themself"
            )
        if needed is Relationship.CARE_TEAM and client_id not in on_team:
            raise Forbidden(
                field,
                "care-team-member",
                f"{action.said} for client {client_id} needs you on their care team as "
                f"{actor.role.value}; ask a program admin to add you (emergency access "
                "opens reads only)",
            )
