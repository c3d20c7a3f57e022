"""Events the relay set aside as too large for the stream are published again once the
stream takes them (``carecoord relay --republish-parked``): each under its event id and
headers, in position order among themselves, after the events recorded since; its row
leaves the list only once the broker took it. They stayed off the stream for good."""

from __future__ import annotations

from pathlib import Path

from cli_run import run_cli, said
from platform_env import platform_env
from test_probe_broker_refusals import ADMIN, published_up_to_the_store, set_aside_as_too_large
from test_probe_pipe_forged_ids import parked_for_relay, stream_positions

from carecoord.events import headers
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.republish import republish_parked
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

TOO_LARGE = "BadRequestError/10054"


async def test_events_set_aside_as_too_large_go_once_the_stream_takes_them(
    platform: Platform,
) -> None:
    js = platform.broker.connection.jetstream()
    name = platform.settings.stream_name
    relay = platform.relay
    assert relay is not None
    held, set_aside = await set_aside_as_too_large(platform)

    still = await republish_parked(relay, platform.pool, platform.store)  # not mended yet
    await js.update_stream(held)
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    head = await published_up_to_the_store(platform)
    done = await republish_parked(relay, platform.pool, platform.store)
    again = await republish_parked(relay, platform.pool, platform.store)

    assert (still.sent, dict(still.refused)) == (0, {TOO_LARGE: set_aside})
    assert (done.sent, dict(done.refused)) == (set_aside, {})
    assert (again.sent, dict(again.refused)) == (0, {})
    assert await parked_for_relay(platform) == []
    late = list(range(1, set_aside + 1))
    assert await stream_positions(platform, head) == [*range(set_aside + 1, head + 1), *late]
    first = await js.get_last_msg(name, f"{platform.settings.subject_root}.>")
    stored = {p.position: p.event for p in platform.store.read(0, head)}
    sent = first.headers or {}
    assert sent[headers.MSG_ID] == str(stored[set_aside].event_id)
    assert sent[headers.POSITION] == str(set_aside)


async def test_the_command_says_how_many_went_and_exits_one_naming_what_is_still_refused(
    platform: Platform, servers: Servers, data_dir: Path, tmp_path: Path
) -> None:
    js = platform.broker.connection.jetstream()
    held, set_aside = await set_aside_as_too_large(platform)
    env = platform_env(platform, servers, data_dir)

    refused = run_cli(tmp_path, env, "relay", "--republish-parked")
    await js.update_stream(held)
    taken = run_cli(tmp_path, env, "relay", "--republish-parked")

    assert refused.returncode == 1
    assert said(refused)[-1] == (
        f"carecoord relay --republish-parked: {set_aside} event(s) still refused"
        f" ({TOO_LARGE}: {set_aside}); they stay set aside (parked_events)"
    )
    assert (taken.returncode, taken.stdout) == (
        0,
        f"relay: {set_aside} set-aside event(s) published again\n",
    )
    assert await parked_for_relay(platform) == []
