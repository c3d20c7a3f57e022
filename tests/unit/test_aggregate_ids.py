"""A record's id is derived from its context and client: stored events name it, so the
derivation never changes, and it is remembered for the clients in use."""

from __future__ import annotations

from uuid import UUID

from carecoord.services.kernel.aggregate import aggregate_id

CLIENT = UUID("483a6981-3acb-44e7-8165-ae1f96418b76")


def test_a_records_id_is_the_one_its_stored_events_name() -> None:
    assert aggregate_id("medication", CLIENT) == UUID("1fd4926b-1669-5774-b435-0f6c85690722")


def test_each_context_has_its_own_record() -> None:
    assert aggregate_id("medication", CLIENT) != aggregate_id("careteam", CLIENT)


def test_a_clients_record_id_is_derived_once_and_remembered() -> None:
    assert aggregate_id("medication", CLIENT) is aggregate_id("medication", UUID(str(CLIENT)))
