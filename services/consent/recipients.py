"""Who a consent or a disclosure names, as the consent record keeps them.

A recipient is matched by its id alone: a member's is their token's subject, an
organization's the name its records go under (a guest-dosing site, a forwarder's
recipient). An id no one can be (blank, invisible characters, spaces around it) was kept
and named no one: the clinic believed records could go where none ever would. A member's
id reads one way (``user_ids``): one that reads as another's shows the consent granting a
person it does not. Its name, shown in the client's accounting of disclosures and on their
timeline, shows every character it holds (a name of zero-width characters read as a blank
recipient). And a consent is the client's grant to others: one naming whoever
records it would be a reader granting themself access (an SUD counseling note consent
opens every therapist's notes).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from carecoord.events import Actor
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.kernel import visible_names
from carecoord.services.kernel.errors import Forbidden, InvalidInput
from carecoord.services.kernel.platform_ids import a_person
from carecoord.services.kernel.user_ids import not_read_as


def recipient_named(recipient: Recipient, field: str) -> Recipient:
    """``recipient`` with its id trimmed; a refusal naming ``field.id`` (never echoing the
    id) when it is no one's."""
    trimmed = recipient.id.strip()
    if not trimmed or not trimmed.isprintable():
        raise InvalidInput(
            f"{field}.id",
            "recipient-id",
            f"{field}.id names no one: a recipient is named by their user id or the "
            "organization's id, printable text (no invisible characters or line breaks)",
        )
    if recipient.type is RecipientType.MEMBER:
        a_person(f"{field}.id", trimmed)
    name = visible_names.shown(f"{field}.name", recipient.name)
    return recipient.model_copy(update={"id": trimmed, "name": name})


def recipients_named(
    recipients: Sequence[Recipient], field: str, recorder: Actor, known: Collection[str] = ()
) -> tuple[Recipient, ...]:
    """``recipients`` trimmed and each once (``recipient_named``); a consent naming
    ``recorder`` is refused: someone else records a consent that lets you read. A member
    whose id reads as one of ``known`` (the client's care team, now or before, and the
    members their consents name) or as another the consent names, and is not it, is
    refused: ``NURSE-B`` or ``dr-1ee`` was granted the record, listed beside nurse-b and
    dr-lee as if the client had named them. A recipient named again under another name is
    refused too (one named once, or again without a name, is that recipient): the consent
    kept the first name and dropped the second unsaid."""
    named: dict[tuple[RecipientType, str], Recipient] = {}
    members = {r.id for r in recipients if r.type is RecipientType.MEMBER}
    for n, given in enumerate(recipients):
        recipient = recipient_named(given, f"{field}.{n}")
        kept = named.get((recipient.type, recipient.id))
        if kept is not None and kept.name and recipient.name and kept.name != recipient.name:
            raise InvalidInput(
                f"{field}.{n}.id",
                "recipient-once",
                f"{field}.{n}.id names a recipient named before under another name; name each"
                " recipient once",
            )
        if recipient.type is RecipientType.MEMBER:
            not_read_as(
                f"{field}.{n}.id",
                recipient.id,
                {*known, *(m.strip() for m in members)},
                "on this client's care team or named by a consent of theirs",
            )
        if recipient.type is RecipientType.MEMBER and recipient.id == recorder.id:
            raise Forbidden(
                f"{field}.{n}.id",
                "recipient-not-recorder",
                "a consent naming you is recorded by someone else (a program admin or a "
                "colleague on the care team): no one records their own access",
            )
        if kept is None or not kept.name:  # in its first place, by the name it was given
            named[(recipient.type, recipient.id)] = recipient
    return tuple(named.values())
