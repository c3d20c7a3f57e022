"""The read policy as a matrix: every role x relationship x data kind, written out by hand.

Each cell is what a reader in that role, with that relationship to the client, sees of that
kind: Y every entry, A only entries they authored, . nothing; a row of "refused" means the
read itself is refused. Change the policy and this table in the same review.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from carecoord.events import Kind, Role
from carecoord.events.access import Basis
from carecoord.services.kernel.access import MAY_RECORD, Action
from carecoord.services.kernel.errors import Forbidden
from carecoord.services.kernel.policy import (
    ON_CARE_TEAM,
    ActiveConsent,
    Emergency,
    ProgramPolicy,
    Restriction,
    Standing,
    decide,
    writer_sees,
)

# Column order of each cell string.
KINDS = (
    Kind.CARE,
    Kind.MEDICATION,
    Kind.DOSING,
    Kind.THERAPY,
    Kind.COUNSELING_NOTE,
    Kind.CHECK_IN,
    Kind.ALERT,
    Kind.CONSENT,
)
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
EVERYTHING = ActiveConsent(uuid4(), frozenset(Kind))
RELATIONSHIPS = {
    "none": Standing(),
    "care_team": Standing(on_care_team=True),
    "consent": Standing(consents=(EVERYTHING,)),
    "self": Standing(is_self=True),
    "break_glass": Standing(emergency=Emergency(uuid4(), NOW + timedelta(hours=1))),
}

#                 care med dose ther note chk alert consent
MATRIX: dict[Role, dict[str, str]] = {
    Role.PRESCRIBER: {
        "none": "refused",
        "care_team": "YYYYAYYY",
        "consent": "YYYYYYYY",
        "self": "refused",
        "break_glass": "YYYY.YYY",
    },
    Role.NURSE: {
        "none": "refused",
        "care_team": "YYYY.YYY",
        "consent": "YYYYYYYY",
        "self": "refused",
        "break_glass": "YYYY.YYY",
    },
    Role.THERAPIST: {
        "none": "refused",
        "care_team": "YY.YAYYY",
        "consent": "YY.YYYYY",
        "self": "refused",
        "break_glass": "YY.Y.YYY",
    },
    Role.PEER_SUPPORTER: {
        "none": "refused",
        "care_team": "Y....YY.",
        "consent": "Y...YYY.",
        "self": "refused",
        "break_glass": "refused",
    },
    Role.PROGRAM_ADMIN: dict.fromkeys(RELATIONSHIPS, "Y......Y"),
    Role.AUDITOR: dict.fromkeys(RELATIONSHIPS, "YYYY.YYY"),
    Role.CLIENT: {
        "none": "refused",
        "care_team": "refused",
        "consent": "refused",
        "self": "YYYY.YYY",
        "break_glass": "refused",
    },
    Role.SYSTEM: dict.fromkeys(RELATIONSHIPS, "refused"),
}

BASIS = {
    "care_team": Basis.CARE_TEAM,
    "consent": Basis.CONSENT,
    "self": Basis.SELF,
    "break_glass": Basis.BREAK_GLASS,
}


def cells(role: Role, standing: Standing) -> str:
    try:
        grant = decide(role, standing)
    except Forbidden:
        return "refused"
    return "".join(
        "Y" if kind in grant.kinds else "A" if kind in grant.authored else "." for kind in KINDS
    )


def test_the_matrix_covers_every_role_and_kind() -> None:
    assert set(MATRIX) == set(Role)
    assert set(KINDS) == set(Kind)
    assert all(set(row) == set(RELATIONSHIPS) for row in MATRIX.values())


@pytest.mark.parametrize(
    ("role", "relationship"),
    [(role, rel) for role in MATRIX for rel in RELATIONSHIPS],
    ids=lambda v: getattr(v, "value", v),
)
def test_policy_matrix(role: Role, relationship: str) -> None:
    assert cells(role, RELATIONSHIPS[relationship]) == MATRIX[role][relationship]


@pytest.mark.parametrize("relationship", ["care_team", "consent", "self", "break_glass"])
def test_each_relationship_is_the_recorded_basis(relationship: str) -> None:
    role = Role.CLIENT if relationship == "self" else Role.NURSE
    assert decide(role, RELATIONSHIPS[relationship]).basis is BASIS[relationship]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_a_writer_is_counted_as_seeing_only_what_any_standing_they_write_in_shows(
    role: Role,
) -> None:
    """``writer_sees``, which decides whether a refusal may say more than "unknown id"
    (``services/kernel/concealed.py``), never counts on more than the read decision shows a
    writer admitted in ``role``: a care-team member, a program-wide reader; a client or the
    system, nothing."""
    kinds = "".join("Y" if kind in writer_sees(role) else "." for kind in KINDS)
    admitted = "care_team" if role in ON_CARE_TEAM else "none"
    expected = MATRIX[role][admitted].replace("A", ".")
    assert kinds == ("." * len(KINDS) if expected == "refused" else expected)


def test_a_program_may_show_therapists_the_dose_window() -> None:
    standing = Standing(on_care_team=True, program=ProgramPolicy(therapists_see_dosing=True))
    assert cells(Role.THERAPIST, standing) == "YYYYAYYY"


def test_a_blind_taper_hides_orders_and_doses_from_the_client_only() -> None:
    restricted = Standing(is_self=True, restrictions=frozenset({Restriction.BLIND_TAPER}))
    assert cells(Role.CLIENT, restricted) == "Y..Y.YYY"
    team = Standing(on_care_team=True, restrictions=frozenset({Restriction.BLIND_TAPER}))
    assert cells(Role.NURSE, team) == "YYYY.YYY"


def test_a_counseling_note_consent_adds_notes_to_a_team_member_and_is_recorded() -> None:
    notes = ActiveConsent(uuid4(), frozenset({Kind.COUNSELING_NOTE}), NOW + timedelta(days=30))
    unrelated = ActiveConsent(uuid4(), frozenset({Kind.CARE}))
    grant = decide(Role.THERAPIST, Standing(on_care_team=True, consents=(notes, unrelated)))
    assert grant.basis is Basis.CARE_TEAM
    assert Kind.COUNSELING_NOTE in grant.kinds
    assert grant.authored == frozenset()
    assert grant.consent_ids == (notes.consent_id,)
    assert grant.valid_until == notes.expires_at


def test_a_consent_never_widens_a_role_past_its_ceiling() -> None:
    grant = decide(Role.PEER_SUPPORTER, Standing(consents=(EVERYTHING,)))
    assert Kind.DOSING not in grant.kinds
    assert Kind.MEDICATION not in grant.kinds


def test_break_glass_is_bounded_by_its_window_and_names_itself() -> None:
    emergency = Emergency(uuid4(), NOW + timedelta(hours=1))
    grant = decide(Role.PRESCRIBER, Standing(emergency=emergency))
    assert grant.break_glass_id == emergency.access_id
    assert grant.valid_until == emergency.expires_at


def test_break_glass_opens_the_team_view_over_a_narrower_consent() -> None:
    care_only = ActiveConsent(uuid4(), frozenset({Kind.CARE}), NOW + timedelta(minutes=5))
    emergency = Emergency(uuid4(), NOW + timedelta(hours=1))
    grant = decide(Role.NURSE, Standing(consents=(care_only,), emergency=emergency))
    assert cells(Role.NURSE, Standing(consents=(care_only,), emergency=emergency)) == "YYYY.YYY"
    assert grant.basis is Basis.BREAK_GLASS
    assert (grant.break_glass_id, grant.consent_ids) == (
        emergency.access_id,
        (care_only.consent_id,),
    )
    assert grant.valid_until == care_only.expires_at


def test_refusal_says_what_would_allow_the_read() -> None:
    with pytest.raises(Forbidden) as refused:
        decide(Role.NURSE, Standing())
    assert refused.value.rule == "care-team-or-consent"
    assert "break the glass" in refused.value.message
    with pytest.raises(Forbidden) as peer:
        decide(Role.PEER_SUPPORTER, Standing())
    assert "break the glass" not in peer.value.message


def test_auditors_record_nothing() -> None:
    assert all(Role.AUDITOR not in roles for roles in MAY_RECORD.values())


@pytest.mark.parametrize(
    ("action", "roles"),
    [
        (Action.PRESCRIBE, {Role.PRESCRIBER}),
        (Action.ADMINISTER_DOSE, {Role.NURSE, Role.PRESCRIBER}),
        (Action.ASSIGN_CARE_TEAM_MEMBER, {Role.PROGRAM_ADMIN}),
        (Action.END_CARE_TEAM_MEMBERSHIP, {Role.PROGRAM_ADMIN}),
        (Action.BREAK_GLASS, {Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
        (Action.RECORD_CONSENT, {Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
        (
            Action.REVOKE_CONSENT,
            {Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.CLIENT},
        ),
    ],
)
def test_who_may_record_what(action: Action, roles: set[Role]) -> None:
    assert MAY_RECORD[action] == roles
