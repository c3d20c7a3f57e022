"""A client enrolled under an upstream system's id (a registry's, an EHR's).

One upstream id names one person in every program that enrols them, so it is not the
client's id: enrolled as it was, a second program enrolling the person was refused as
``already-enrolled`` and so learned that they are in treatment elsewhere (42 CFR Part 2: a
program does not tell who its patients are). The client's id is drawn from the program
and the upstream id together: the same upstream id in another program is another client,
of whom this program hears nothing, and a second enrolment in the same program is refused
naming the client the program already has."""

from __future__ import annotations

from uuid import UUID, uuid5

from carecoord.services.kernel.visible_names import site_named

UPSTREAM_IDS = UUID("a76cdc64-83a6-43ec-bbf8-489afd6781f7")
"""The namespace clients' ids are drawn in: changed, every upstream id would draw new ones."""


def upstream_client(program: str, upstream_id: UUID) -> UUID:
    """The id of ``program``'s client enrolled under ``upstream_id``, its name read as the
    enrolment reads it (`` OTP`` is ``OTP``)."""
    return uuid5(UPSTREAM_IDS, f"{site_named('program', program)}\n{upstream_id}")
