"""A cursor that decodes to JSON other than a list (a string, an object) is no cursor the
API made: refused as such (cursor), not read as another log's (cursor-log), nor, as an
object keyed by the log's name and a place, taken as the place."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from carecoord.graphql.log_pages import LogOrder
from carecoord.services.kernel.errors import InvalidInput

ORDER = LogOrder("exportProgramRecord", ("client_id",), (uuid.UUID,))


def encoded(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "value",
    ["x", "exportProgramRecord", {"exportProgramRecord": 1, str(uuid.uuid4()): 2}, 5, None],
)
def test_json_other_than_a_list_is_not_a_cursor(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        ORDER.key(encoded(value))

    assert refused.value.rule == "cursor"


def test_a_cursor_the_api_made_still_holds_its_place() -> None:
    client = uuid.uuid4()

    assert ORDER.key(ORDER.cursor({"client_id": client})) == (client,)


def test_json_nested_past_the_decoders_depth_is_not_a_cursor() -> None:
    """Arrays nested some thousands deep (a cursor of 4 kB) ran the decoder's stack out: an
    internal error, not a refusal naming after."""
    nested = base64.urlsafe_b64encode(b"[" * 3000).decode()

    with pytest.raises(InvalidInput) as refused:
        ORDER.key(nested)

    assert (refused.value.field, refused.value.rule) == ("after", "cursor")
