"""A timeline page read again while the view stands still is served as it was read, without
asking the view; once the view moves on (a new entry anywhere) or is rebuilt, it is read
anew. A row altered behind the view's back shows which: the kept page does not have it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_timeline_pages import caught_up, connection, four_entries

from carecoord.events import Role
from carecoord.graphql.timeline import TimelineEntry
from carecoord.projections import timeline
from carecoord.projections.rebuild import rebuild
from support import Api

CHECK_IN = """mutation($input: RecordCheckInInput!) { recordCheckIn(input: $input) { position } }"""


async def alter_first_summary(api: Api, client_id: str) -> None:
    """The client's first row as the view shows it, changed under the platform."""
    async with api.platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE timeline SET summary = 'altered' WHERE position ="
            " (SELECT min(position) FROM timeline WHERE client_id = %s)",
            (client_id,),
        )


async def summaries(api: Api, client_id: str) -> list[str]:
    page = await connection(api, clientId=client_id, first=10)
    return [node["summary"] for node in page["nodes"]]


async def test_a_page_is_kept_until_the_view_moves_on(api: Api) -> None:
    client_id, position = await four_entries(api)
    await caught_up(api, client_id, position)
    read = await summaries(api, client_id)
    await alter_first_summary(api, client_id)

    assert await summaries(api, client_id) == read, "read again as it was, not asked anew"

    done = await api.ok(
        CHECK_IN,
        {"input": {"clientId": client_id, "craving": 2, "occurredAt": "2026-01-07T09:00:00Z"}},
        role=Role.CLIENT, user=client_id,
    )  # fmt: skip
    await caught_up(api, client_id, done["recordCheckIn"]["position"])
    moved = await summaries(api, client_id)
    assert moved[0] == "altered", "the view moved on: the page is read anew"
    assert len(moved) == len(read) + 1


async def test_a_rebuild_drops_the_pages_kept(api: Api) -> None:
    client_id, position = await four_entries(api)
    await caught_up(api, client_id, position)
    read = await summaries(api, client_id)
    await alter_first_summary(api, client_id)
    assert (await summaries(api, client_id))[0] == read[0]

    built = api.platform.progress.version(timeline.NAME)
    await rebuild(api.platform.store, api.platform.pool, timeline)
    for _ in range(1000):  # the switch is announced to the API's listener
        if api.platform.progress.version(timeline.NAME) != built:
            break
        await asyncio.sleep(0.01)
    assert api.platform.progress.version(timeline.NAME) != built, "the switch was announced"
    await alter_first_summary(api, client_id)  # in the rebuilt generation

    assert (await summaries(api, client_id))[0] == "altered", "read anew from the rebuilt view"


async def test_what_a_reader_is_shown_of_a_kept_page_is_built_once_per_text_shown(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id, position = await four_entries(api)
    await caught_up(api, client_id, position)
    built: list[int] = []
    build = TimelineEntry.of

    def counted(row: timeline.Entry, *args: Any) -> TimelineEntry:
        built.append(row["position"])
        return build(row, *args)

    monkeypatch.setattr(TimelineEntry, "of", counted)
    read = await summaries(api, client_id)
    first = len(built)  # none when an earlier page (the catching up) built them already
    assert await summaries(api, client_id) == read
    assert len(built) == first, "the page read again reuses the entries built for it"

    other = await api.gql(
        "query($id: UUID!) { clientTimeline(clientId: $id) { nodes { summary } } }",
        {"id": client_id}, role=Role.CLIENT, user=client_id,
    )  # fmt: skip
    assert other["data"]["clientTimeline"]["nodes"], "the client reads their own"
    assert len(built) > first, "another reader's free text shown is built for them"
