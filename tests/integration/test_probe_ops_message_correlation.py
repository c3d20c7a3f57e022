"""A published event's ``correlation_id`` header, which a FastStream subscriber reads as the
message's correlation id, is the event's own (the request that caused it), as the contract's
``correlationId`` (the payload's) says: it was a random id FastStream made at each publish.
That the contract's headers are those the relay sets is ``test_published_contract.py``'s."""

from __future__ import annotations

import json

from test_probe_relay_resume import ADMIN, relayed

from carecoord.services.care.commands import enroll_client
from carecoord.services.platform import Platform


async def test_the_correlation_header_is_the_events_correlation_id(platform: Platform) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    await relayed(platform, 1)

    js = platform.broker.connection.jetstream()
    msg = await js.get_msg(platform.settings.stream_name, seq=1)

    assert msg.headers is not None
    assert msg.data is not None
    assert msg.headers["correlation_id"] == json.loads(msg.data)["correlation_id"]
