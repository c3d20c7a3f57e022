"""Who may read what of a client's record: the read policy as data, and the one decision.

Every read of a client's data is decided here, from the reader's role and their standing
with the client right now (care team, consent, themself, emergency access). The tables are
what a program's privacy officer reviews; ``POLICY_VERSION`` is recorded in every
access-log entry and break-glass event, so a replay shows which policy allowed a read.

Sources: 42 CFR Part 2 (2024 final rule, 89 FR 12472:
https://regulations.justia.com/regulations/fedreg/2024/02/16/2024-02544.html), consent
elements 42 CFR 2.31, medical emergencies 42 CFR 2.51, HIPAA minimum necessary and emergency
access (45 CFR 164.312(a)); design notes in shared/design/domain.md section 4.2.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from carecoord.events import Kind, Role
from carecoord.events.access import Basis
from carecoord.services.kernel.errors import Forbidden

POLICY_VERSION = "access-2026.6"

ALL_KINDS = frozenset(Kind)
NOTES = frozenset({Kind.COUNSELING_NOTE})


@dataclass(frozen=True, slots=True)
class Visibility:
    """Kinds a reader sees in full, and kinds they see only where they are the author."""

    kinds: frozenset[Kind]
    authored: frozenset[Kind] = frozenset()


# What a member of the care team sees, by the role they act in. SUD counseling notes are
# their author's (and those a counseling-note consent names), never the team's.
ON_CARE_TEAM: dict[Role, Visibility] = {
    Role.PRESCRIBER: Visibility(ALL_KINDS - NOTES, authored=NOTES),
    Role.NURSE: Visibility(
        frozenset({Kind.CARE, Kind.MEDICATION, Kind.DOSING, Kind.THERAPY, Kind.CHECK_IN})
        | {Kind.ALERT, Kind.CONSENT}
    ),
    # Dose-window details (DOSING) only where the program allows it: see ProgramPolicy.
    Role.THERAPIST: Visibility(
        frozenset({Kind.CARE, Kind.MEDICATION, Kind.THERAPY, Kind.CHECK_IN, Kind.ALERT})
        | {Kind.CONSENT},
        authored=NOTES,
    ),
    # Check-ins, appointments (care) and alerts; no orders, doses or notes.
    Role.PEER_SUPPORTER: Visibility(frozenset({Kind.CARE, Kind.CHECK_IN, Kind.ALERT})),
}

# Roles whose standing comes from their job, not from a relationship with the client:
# program admins manage care teams and consents; auditors read history.
PROGRAM_WIDE: dict[Role, tuple[Basis, Visibility]] = {
    Role.PROGRAM_ADMIN: (Basis.PROGRAM, Visibility(frozenset({Kind.CARE, Kind.CONSENT}))),
    Role.AUDITOR: (Basis.AUDIT, Visibility(ALL_KINDS - NOTES)),
}

# The client reads their own record; counseling notes are excluded from the right of
# access like psychotherapy notes (45 CFR 164.524(a)(1)(i)).
OWN_RECORD = Visibility(ALL_KINDS - NOTES)

# Emergency access (42 CFR 2.51): what the role would see on the team, never notes.
MAY_BREAK_GLASS = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})
BREAK_GLASS_WINDOW = timedelta(hours=1)


class Listing(StrEnum):
    """A read a role has by its job rather than by its standing with one client: program-wide
    lists, the auditor's checks, a clinician's caseload. Each client a listing shows is still
    decided and access-logged one by one."""

    ACCESS_LOG = "the access log"
    BREAK_GLASS_USES = "the break-glass list"
    RECORD_VERIFICATION = "verifying a client's record"
    CASELOAD = "a caseload"
    SAFETY_LOG = "the medication safety log"
    RECORD_EXPORT = "exporting the record"
    ACCESS_AS_OF = "what a user could see"
    DISPENSING_LOG = "the DEA dispensing log"
    LOT_LEDGER = "the lot ledger"
    STOCK = "a site's controlled-substance stock"
    DISCLOSURES = "the accounting of disclosures"
    DISPENSING_SITES = "the program's dispensing sites"
    USER_ACCESS = "who suspended and reinstated a user"


@dataclass(frozen=True, slots=True)
class ListingRule:
    roles: frozenset[Role]
    rule: str
    team_only: frozenset[Role] = frozenset()
    """Roles among ``roles`` that see only the clients whose care team they are on now."""


# The DEA log and lot ledger: the program's admin keeps them and auditors inspect them; the
# dispensing staff read their own care team's rows.
_DISPENSING = ListingRule(
    frozenset({Role.PROGRAM_ADMIN, Role.AUDITOR, Role.PRESCRIBER, Role.NURSE}),
    "role-may-export",
    team_only=frozenset({Role.PRESCRIBER, Role.NURSE}),
)
MAY_LIST: dict[Listing, ListingRule] = {
    Listing.ACCESS_LOG: ListingRule(frozenset({Role.AUDITOR}), "role-may-read"),
    Listing.BREAK_GLASS_USES: ListingRule(frozenset(PROGRAM_WIDE), "role-may-read"),
    Listing.RECORD_VERIFICATION: ListingRule(frozenset({Role.AUDITOR}), "role-may-read"),
    Listing.CASELOAD: ListingRule(frozenset(ON_CARE_TEAM), "role-has-caseload"),
    Listing.SAFETY_LOG: ListingRule(
        frozenset({Role.AUDITOR, Role.PRESCRIBER, Role.NURSE}),
        "role-may-export",
        team_only=frozenset({Role.PRESCRIBER, Role.NURSE}),
    ),
    # Within what each role's grant shows (admins: care and consents, their program's).
    Listing.RECORD_EXPORT: ListingRule(
        frozenset({Role.AUDITOR, Role.PROGRAM_ADMIN}), "role-may-export"
    ),
    Listing.ACCESS_AS_OF: ListingRule(frozenset({Role.AUDITOR}), "role-may-read"),
    Listing.DISPENSING_LOG: _DISPENSING,
    Listing.LOT_LEDGER: _DISPENSING,
    # A site's stock names no client: its keepers read it whole, auditors inspect it.
    Listing.STOCK: ListingRule(_DISPENSING.roles, "role-may-export"),
    # Where stock may go: the admins who keep the list, and the roles that transfer stock.
    Listing.DISPENSING_SITES: ListingRule(
        frozenset({Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE}), "role-may-read"
    ),
    # A client's right to an accounting (42 CFR 2.24, 45 CFR 164.528), and those who answer
    # for it: the program's admins and auditors. Clinicians whose grant shows consent
    # entries see on the timeline each disclosure of kinds their grant shows
    # (``disclosures_shown``).
    Listing.DISCLOSURES: ListingRule(
        frozenset({Role.CLIENT, Role.PROGRAM_ADMIN, Role.AUDITOR}), "role-may-read"
    ),
    # A user's suspensions and reinstatements: the admins who decide them, auditors who
    # check who ended whose access, when and why.
    Listing.USER_ACCESS: ListingRule(
        frozenset({Role.PROGRAM_ADMIN, Role.AUDITOR}), "role-may-read"
    ),
}


def team_only(role: Role, listing: Listing) -> bool:
    """Whether ``role`` sees ``listing`` only for its care team's clients (True) or whole
    (False); Forbidden, naming the roles that may, for any other role."""
    allowed = MAY_LIST[listing]
    if role not in allowed.roles:
        names = ", ".join(sorted(r.value for r in allowed.roles))
        scoped = ", ".join(sorted(r.value for r in allowed.team_only))
        limit = f" ({scoped}: their care team's clients)" if scoped else ""
        raise Forbidden("role", allowed.rule, f"{listing} is for: {names}{limit}")
    return role in allowed.team_only


def disclosures_shown(role: Role, grant: Grant) -> frozenset[Kind] | None:
    """The kinds a disclosure on a client's record may have sent for ``role`` to be shown it:
    None (every disclosure) for the roles that read the accounting of disclosures; for any
    other, those its grant shows. A disclosure names the kinds it sent and counts them: a
    nurse, who reads no counseling notes, read a disclosure of one, and so learned that the
    client's therapist had written it."""
    return None if role in MAY_LIST[Listing.DISCLOSURES].roles else grant.kinds


class Restriction(StrEnum):
    """A state of the client's care that hides part of their own record from them."""

    BLIND_TAPER = "blind_taper"


HIDDEN_FROM_CLIENT: dict[Restriction, frozenset[Kind]] = {
    Restriction.BLIND_TAPER: frozenset({Kind.MEDICATION, Kind.DOSING}),
}


@dataclass(frozen=True, slots=True)
class ProgramPolicy:
    """Choices a program makes within the policy above."""

    therapists_see_dosing: bool = False


DEFAULT_PROGRAM = ProgramPolicy()
PROGRAMS: dict[str, ProgramPolicy] = {}


def program_policy(program: str | None) -> ProgramPolicy:
    return PROGRAMS.get(program or "", DEFAULT_PROGRAM)


@dataclass(frozen=True, slots=True)
class ActiveConsent:
    """A consent naming the reader that is neither revoked nor expired."""

    consent_id: UUID
    kinds: frozenset[Kind]
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Emergency:
    access_id: UUID
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Standing:
    """What the reader is to this client right now (loaded from the access read models)."""

    on_care_team: bool = False
    team_ends_at: datetime | None = None
    """When the reader's current care-team membership ends, if an end is recorded."""
    is_self: bool = False
    consents: tuple[ActiveConsent, ...] = ()
    emergency: Emergency | None = None
    program: ProgramPolicy = DEFAULT_PROGRAM
    restrictions: frozenset[Restriction] = frozenset()


@dataclass(frozen=True, slots=True)
class Grant:
    """What one reader may see of one client, and on what basis (recorded in the access log)."""

    basis: Basis
    kinds: frozenset[Kind]
    authored: frozenset[Kind] = frozenset()
    consent_ids: tuple[UUID, ...] = ()
    break_glass_id: UUID | None = None
    valid_until: datetime | None = field(default=None, compare=False)
    policy_version: str = POLICY_VERSION

    def shows(self, kind: Kind, *, authored_by_reader: bool) -> bool:
        return kind in self.kinds or (authored_by_reader and kind in self.authored)


def team_visibility(role: Role, program: ProgramPolicy) -> Visibility | None:
    seen = ON_CARE_TEAM.get(role)
    if seen is not None and role is Role.THERAPIST and program.therapists_see_dosing:
        return Visibility(seen.kinds | {Kind.DOSING}, seen.authored)
    return seen


def decide(role: Role, standing: Standing) -> Grant:
    """The grant for a reader in ``role`` with ``standing``; Forbidden says what would allow it."""
    if role in PROGRAM_WIDE:
        basis, seen = PROGRAM_WIDE[role]
        return Grant(basis, seen.kinds, seen.authored)
    if role is Role.CLIENT:
        if not standing.is_self:
            raise Forbidden(
                "clientId", "own-record-only", "a client may read only their own record"
            )
        hidden = frozenset().union(*(HIDDEN_FROM_CLIENT[r] for r in standing.restrictions))
        return Grant(Basis.SELF, OWN_RECORD.kinds - hidden, OWN_RECORD.authored - hidden)
    team = team_visibility(role, standing.program)
    if team is None:
        raise Forbidden("role", "role-may-read", f"role {role.value} reads no client records")
    kinds: frozenset[Kind] = frozenset()
    authored: frozenset[Kind] = frozenset()
    basis = Basis.NONE
    if standing.on_care_team:
        kinds, authored, basis = team.kinds, team.authored, Basis.CARE_TEAM
    # A consent widens what the role may see (notes only by consent), never past the role.
    consentable = team.kinds | NOTES
    used = [c for c in standing.consents if (c.kinds & consentable) - kinds]
    for consent in used:
        kinds |= consent.kinds & consentable
    if used and basis is Basis.NONE:
        basis = Basis.CONSENT
    expiries = [c.expires_at for c in used if c.expires_at is not None]
    if basis is Basis.CARE_TEAM and standing.team_ends_at is not None:
        expiries.append(standing.team_ends_at)
    emergency = standing.emergency
    # An emergency opens what the role sees on the team (never notes), on top of a narrower
    # consent too: a consent for care entries alone must not leave the doses shut then.
    if emergency is not None and role in MAY_BREAK_GLASS and team.kinds - kinds:
        return Grant(
            Basis.BREAK_GLASS,
            kinds | team.kinds,
            consent_ids=tuple(c.consent_id for c in used),
            break_glass_id=emergency.access_id,
            valid_until=min([*expiries, emergency.expires_at]),
        )
    if basis is Basis.NONE:
        raise Forbidden(
            "clientId",
            "care-team-or-consent",
            "you are not on this client's care team and no consent of theirs names you; "
            "ask a program admin to add you to the care team"
            + (", or break the glass in an emergency" if role in MAY_BREAK_GLASS else ""),
        )
    return Grant(
        basis,
        kinds,
        authored - kinds,
        consent_ids=tuple(c.consent_id for c in used),
        valid_until=min(expiries, default=None),
    )


def writer_sees(role: Role) -> frozenset[Kind]:
    """The kinds of a client's record a writer the gate admitted in ``role`` sees whatever
    else their standing holds: a clinician admitted is on the client's care team (under the
    default program's choices), a program admin or an auditor reads by their job. A consent
    or a program's choice may show a clinician more, and a client's own record can be
    narrowed (a blind taper), so neither is counted on: nothing for a client."""
    if role in PROGRAM_WIDE:
        return PROGRAM_WIDE[role][1].kinds
    team = ON_CARE_TEAM.get(role)
    return frozenset() if team is None else team.kinds


def shows_text_by(grant: Grant, writer: Role, *, authored_by_reader: bool) -> bool:
    """Whether ``grant`` shows free text written in role ``writer`` (an alert's note): text
    can tell whatever its writer reads, so it shows to a reader whose grant has every kind
    the writer's role reads (``writer_sees``), and to its writer. A nurse's note on a
    check-in alert may name the dose: the peer supporter shown the alert is not shown it."""
    return authored_by_reader or writer_sees(writer) <= grant.kinds
