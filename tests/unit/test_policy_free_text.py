"""Free text (an alert's note) by writer x reader, written out by hand: Y shown, . withheld.

A note can tell whatever its writer's role reads, so it shows to a reader whose grant has
every kind the writer's role reads; the grant shows them the alert either way. Change the
policy and this table in the same review.
"""

from __future__ import annotations

import pytest

from carecoord.events import Role
from carecoord.events.catalog import event_types
from carecoord.events.envelope import type_name
from carecoord.services.kernel.access import MAY_RECORD, Action
from carecoord.services.kernel.policy import (
    ProgramPolicy,
    Restriction,
    Standing,
    decide,
    shows_text_by,
)

# Column order of each cell string: who wrote the note.
WRITERS = (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST)
TEAM = Standing(on_care_team=True)
READERS: dict[str, tuple[Role, Standing, str]] = {
    "prescriber": (Role.PRESCRIBER, TEAM, "YYY"),
    "nurse": (Role.NURSE, TEAM, "YYY"),
    # Dose-window details are not the therapist's unless the program says so.
    "therapist": (Role.THERAPIST, TEAM, "..Y"),
    "therapist where dosing is shown": (
        Role.THERAPIST,
        Standing(on_care_team=True, program=ProgramPolicy(therapists_see_dosing=True)),
        "YYY",
    ),
    "peer supporter": (Role.PEER_SUPPORTER, TEAM, "..."),
    "client": (Role.CLIENT, Standing(is_self=True), "YYY"),
    "client on a blind taper": (
        Role.CLIENT,
        Standing(is_self=True, restrictions=frozenset({Restriction.BLIND_TAPER})),
        "...",
    ),
    "auditor": (Role.AUDITOR, Standing(), "YYY"),
}


def test_the_writers_are_those_who_note_an_alert() -> None:
    for action in (Action.ACKNOWLEDGE_ALERT, Action.RESOLVE_ALERT):
        assert MAY_RECORD[action] == frozenset(WRITERS)


@pytest.mark.parametrize("reader", READERS)
def test_a_note_shows_to_a_reader_who_reads_all_its_writer_reads(reader: str) -> None:
    role, standing, expected = READERS[reader]
    grant = decide(role, standing)
    shown = "".join(
        "Y" if shows_text_by(grant, writer, authored_by_reader=False) else "." for writer in WRITERS
    )
    assert shown == expected


def test_its_writer_is_shown_their_own_note_whatever_their_grant() -> None:
    grant = decide(Role.THERAPIST, TEAM)
    assert not shows_text_by(grant, Role.NURSE, authored_by_reader=False)
    assert shows_text_by(grant, Role.NURSE, authored_by_reader=True)


@pytest.mark.parametrize("reader", READERS)
def test_a_clients_own_words_show_to_every_reader_of_the_entry(reader: str) -> None:
    role, standing, _ = READERS[reader]
    assert shows_text_by(decide(role, standing), Role.CLIENT, authored_by_reader=False)


def test_no_summary_line_tells_a_free_text_field_it_cannot_leave_out() -> None:
    """The timeline's summary line leaves out only the text it ends with (``summary_text``,
    as a hold's reason): other free text in it could not be withheld."""
    told = {
        type_name(cls): [
            f for f in cls.free_text if f"{{{f}}}" in cls.summary_template and f != cls.summary_text
        ]
        for cls in event_types()
    }
    assert {name: fields for name, fields in told.items() if fields} == {}
    assert "alerts.AlertAcknowledged" in told, "the catalog is loaded"
