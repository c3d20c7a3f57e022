"""The ids the platform's own components sign the record with: no person is known by one.

The access log and the audit trail show an actor as its id and role: a token whose subject
is ``system`` showed there as ``system (auditor)``, the platform itself to a reader, and one
named ``alert-rules`` as the rules that raise alerts. So a token's subject, and the auditor
an export is logged as, is refused when it reads as one of these (capitals and look-alike
letters too, ``read_alike``), and so is a person a command names (``a_person``): a care-team
member ``system`` or a witness ``alert-rules`` would read in the audit log as the platform's
own act."""

from __future__ import annotations

import hashlib

from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.user_ids import read_alike, skeleton, unmistakable

SYSTEM = "system"
"""The platform's own role, the name a reader takes for it."""
MISSED_DOSE_SWEEP = "missed-dose-sweep"
ALERT_RULES = "alert-rules"
FORWARDER = "disclose-"
"""The disclosure forwarder's id is this followed by its recipient's."""
RESERVED = (SYSTEM, MISSED_DOSE_SWEEP, ALERT_RULES)
RULE = "reserved-id"
"""The rule a command's refusal names (a token's: ``token-subject-reserved``)."""


def forwarder(recipient_id: str) -> str:
    return f"{FORWARDER}{recipient_id}"


def shown_follower(name: str) -> str:
    """A follower's or loop's name as ``/health``, ``/metrics`` and ``platformStatus`` show
    it. A disclosure forwarder's names the organization the program discloses to, which
    neither anyone reaching the API's port nor every signed-in user may learn (42 CFR Part
    2): it shows as ``disclose-sha256:`` and the first 12 hex digits of the name's SHA-256,
    which an operator matches (``printf %s disclose-clinic_north | sha256sum``)."""
    if not name.startswith(FORWARDER):
        return name
    return f"{FORWARDER}sha256:{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def reserved(user_id: str) -> str | None:
    """Why ``user_id`` is the platform's and no person's, or None when it is no such id."""
    user_id = user_id.strip()
    own = next((o for o in RESERVED if read_alike(user_id, o)), None)
    if own is None and skeleton(user_id).startswith(FORWARDER):
        own = forwarder("<recipient>")
    if own is None:
        return None
    return (
        f"reads as {own}, an id the platform's own components sign the record with"
        f" ({', '.join(RESERVED)}, {forwarder('<recipient>')}): give the person's own id"
    )


def a_person(field: str, user_id: str) -> str:
    """``user_id`` when a person may be known by it: none of the platform's own ids
    (``reserved``) and read one way (``unmistakable``); else a refusal naming ``field``, so
    nothing is recorded under it."""
    why = reserved(user_id)
    if why is not None:
        raise InvalidInput(field, RULE, f"{field} {why}")
    return unmistakable(field, user_id)
