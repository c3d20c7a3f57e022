"""Decoding what was stored or published: a payload of the current version is validated
from its JSON at once; an older one is upcast first. Both give the event that was encoded."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from every_event import every_event

from carecoord.events import ClientEnrolled, catalog
from carecoord.events.envelope import type_name


def test_every_event_type_decodes_to_the_event_encoded() -> None:
    events = every_event().events
    assert len({type(e) for e in events}) > 40

    for event in events:
        payload = catalog.encode(event)
        assert payload.endswith(b'"schema_version":%d}' % type(event).version), payload[-40:]
        assert catalog.decode(type_name(type(event)), payload) == event


class ClientEnrolledV2(ClientEnrolled):
    version: ClassVar[int] = 2
    referral: str


def test_an_older_version_is_upcast_before_it_is_validated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enrolled = next(e for e in every_event().events if isinstance(e, ClientEnrolled))
    old = catalog.encode(enrolled)
    name = type_name(ClientEnrolled)

    def lift(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "referral": "self"}

    monkeypatch.setitem(catalog._TYPES, name, ClientEnrolledV2)
    monkeypatch.setitem(catalog._UPCASTERS, (name, 1), lift)

    decoded = catalog.decode(name, old)

    assert isinstance(decoded, ClientEnrolledV2)
    assert decoded.referral == "self"
    kept = {"referral", "type", "schema_version"}
    assert decoded.model_dump(exclude=kept) == enrolled.model_dump(exclude=kept)


def test_a_later_version_is_not_read_as_this_one() -> None:
    """Recorded by a later release and read after a rollback: its fields would be dropped."""
    enrolled = next(e for e in every_event().events if isinstance(e, ClientEnrolled))
    later = catalog.encode(enrolled).replace(b'"schema_version":1}', b'"schema_version":2}')
    later = later.replace(b"{", b'{"referral":"self",', 1)

    with pytest.raises(catalog.LaterVersion, match="version 2"):
        catalog.decode(type_name(ClientEnrolled), later)
    assert isinstance(catalog.LaterVersion("x"), ValueError), "followers set it aside"
