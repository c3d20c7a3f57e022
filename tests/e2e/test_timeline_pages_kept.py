"""A timeline page read again while its client's timeline stands still is served as it was
read, without asking the view, whatever other clients' timelines gain; once its own gains an
entry, or the view is rebuilt, it is read anew. A row altered behind the view's back shows
which: the kept page does not have it."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from test_timeline_pages import caught_up, connection, four_entries

from carecoord.events import Kind, Role
from carecoord.graphql.timeline import TimelineEntry
from carecoord.projections import timeline
from carecoord.projections.rebuild import rebuild
from carecoord.projections.rows import Shown
from carecoord.projections.timeline_pages import TimelinePages
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


async def alter_newest_summary(api: Api, client_id: str) -> None:
    async with api.platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE timeline SET summary = 'altered' WHERE position ="
            " (SELECT max(position) FROM timeline WHERE client_id = %s)",
            (client_id,),
        )


async def summaries(api: Api, client_id: str) -> list[str]:
    page = await connection(api, clientId=client_id, first=10)
    return [node["summary"] for node in page["nodes"]]


async def check_in(api: Api, client_id: str) -> None:
    """A check-in of the client's own, once the timeline the reader reads has it."""
    done = await api.ok(
        CHECK_IN,
        {"input": {"clientId": client_id, "craving": 2, "occurredAt": "2026-01-07T09:00:00Z"}},
        role=Role.CLIENT, user=client_id,
    )  # fmt: skip
    await caught_up(api, client_id, done["recordCheckIn"]["position"])


async def test_a_page_is_kept_until_its_clients_timeline_gains_an_entry(api: Api) -> None:
    client_id, position = await four_entries(api)
    other, other_position = await four_entries(api)
    await caught_up(api, client_id, max(position, other_position))
    read = await summaries(api, client_id)
    await alter_first_summary(api, client_id)

    assert await summaries(api, client_id) == read, "read again as it was, not asked anew"
    await check_in(api, other)
    assert await summaries(api, client_id) == read, "another client's entry leaves it kept"

    await check_in(api, client_id)
    moved = await summaries(api, client_id)
    assert len(moved) == len(read) + 1, "its own timeline gained an entry: read anew"
    assert [m for m in moved if "craving 2/100" not in m] == read


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


async def test_a_page_read_as_the_view_moved_on_is_kept_unless_its_client_gained(
    api: Api,
) -> None:
    """A read that began at an earlier position and ends after another read moved the kept
    pages on: its rows are kept when its client gained nothing in between, not otherwise."""
    client_id, position = await four_entries(api)
    other, other_position = await four_entries(api)
    await caught_up(api, client_id, max(position, other_position))
    platform, pages = api.platform, TimelinePages()
    shown = Shown(frozenset(Kind), frozenset(), "prescriber-1")

    async def read(client: str, at: int) -> list[str]:
        rows = await pages.page(
            platform.reads, platform.progress, at, UUID(client), shown, limit=10
        )
        return [row["summary"] for row in rows]

    before = platform.progress.position(timeline.NAME)
    await read(other, before)
    await check_in(api, other)
    moved = platform.progress.position(timeline.NAME)
    await read(other, moved)  # the pages kept move on past the other client's entry
    read_then = await read(client_id, before)  # began before it: kept all the same
    await alter_first_summary(api, client_id)
    assert await read(client_id, moved) == read_then, "kept, its client having gained nothing"

    await check_in(api, client_id)
    gained = platform.progress.position(timeline.NAME)
    await read(other, gained)  # the pages kept move on past this client's own entry
    await read(client_id, moved)  # began before it, ended after: its rows are not kept
    await alter_newest_summary(api, client_id)
    assert "altered" in await read(client_id, gained), "read anew, not the rows kept"
