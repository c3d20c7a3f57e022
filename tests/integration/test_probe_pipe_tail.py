"""``carecoord tail`` against hostile messages on the care subjects: JSON nested deeper than
the parser goes, numbers JSON has no text for, a body naming another subject and position.
Each is skipped or shown as the broker holds it, every line printed is JSON, and the events
after them are still printed."""

from __future__ import annotations

import json
import uuid

from tailed import holding, tailed

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
DEEP = b"[" * 100_000 + b"]" * 100_000  # the parser gives up with RecursionError
NOT_JSON_NUMBERS = [b'{"dose": NaN}', b'{"dose": Infinity}', b'{"dose": 1e999}']
FORGED = b'{"subject": "care.elsewhere", "position": "1", "note": "x"}'


def strict(line: str) -> dict[str, object]:
    """The line as JSON, refusing NaN and Infinity, which are not JSON."""

    def refuse(constant: str) -> object:
        raise ValueError(constant)

    found = json.loads(line, parse_constant=refuse)
    assert isinstance(found, dict)
    return found


async def test_hostile_messages_are_skipped_or_shown_as_held_and_the_tail_goes_on(
    platform: Platform, servers: Servers
) -> None:
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    for data in (DEEP, *NOT_JSON_NUMBERS, FORGED):
        await js.publish(subject, data, headers={"Carecoord-Position": "7"}, stream=stream)
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))

    lines, logged = await tailed(platform, servers, until=holding('"type": "care.ClientEnrolled"'))

    assert lines, logged
    shown = [strict(line) for line in lines]
    assert shown[-1]["type"] == "care.ClientEnrolled"
    assert shown[:-1] == [{"subject": subject, "position": 7, "note": "x"}]
    assert isinstance(shown[-1]["position"], int)
    assert logged.count('"MESSAGE_UNREADABLE"') == 1 + len(NOT_JSON_NUMBERS), logged
    assert "Traceback" not in logged
