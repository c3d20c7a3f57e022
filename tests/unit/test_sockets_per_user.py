"""Each user's open websockets, as this API process counts them (the count across processes
is the database's: tests/e2e/test_websockets_per_user.py): a place is held until released,
once, and a user whose sockets all ended leaves nothing behind."""

from __future__ import annotations

from carecoord.graphql.app import MAX_CLOSE_REASON_BYTES
from carecoord.graphql.sockets_per_user import SocketsPerUser


async def test_a_user_holds_at_most_the_limit_and_a_release_gives_one_place_back() -> None:
    sockets = SocketsPerUser(limit=2)
    first, second = await sockets.hold("nurse-kim"), await sockets.hold("nurse-kim")
    assert first is not None
    assert second is not None
    assert await sockets.hold("nurse-kim") is None
    assert await sockets.hold("dr-lee") is not None  # each user their own count
    await first.release()
    await first.release()  # a second release gives back nothing more
    assert sockets.open("nurse-kim") == 1
    third = await sockets.hold("nurse-kim")
    assert third is not None
    assert await sockets.hold("nurse-kim") is None


async def test_a_user_whose_sockets_all_ended_leaves_no_entry() -> None:
    sockets = SocketsPerUser(limit=3)
    held = [await sockets.hold(f"peer-{n}") for n in range(1000)]
    for one in held:
        assert one is not None
        await one.release()
    assert not sockets._open


def test_the_refusal_fits_a_close_frame_whatever_the_limit() -> None:
    assert len(SocketsPerUser(limit=10**18).refusal.encode()) <= MAX_CLOSE_REASON_BYTES
