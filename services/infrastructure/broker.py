"""The broker edge: one FastStream NATS broker and the JetStream stream of care events."""

from __future__ import annotations

import dataclasses

from faststream.nats import JStream, NatsBroker
from nats.aio.client import Client
from nats.js.api import StreamConfig
from nats.js.errors import BadRequestError, NotFoundError, ServerError

from carecoord.services.infrastructure.settings import Settings


class StreamRefused(Exception):
    """The broker refuses the stream as the settings describe it: retrying cannot help, and
    taken for a broker not yet up it was retried, then reported as unreachable for ever."""

    def __init__(self, settings: Settings, refusal: BadRequestError | ServerError) -> None:
        super().__init__(
            f"the broker refuses the stream {settings.stream_name} over"
            f" {settings.subject_root}.> ({refusal.description}, {refusal.err_code}):"
            " check CARECOORD_STREAM_NAME, CARECOORD_SUBJECT_ROOT,"
            " CARECOORD_DUPLICATE_WINDOW_SECONDS and CARECOORD_STREAM_REPLICAS"
        )


def stream_of(settings: Settings) -> JStream:
    """The one stream that holds the whole ``<root>.>`` subject space."""
    return JStream(
        settings.stream_name,
        subjects=[f"{settings.subject_root}.>"],
        duplicate_window=settings.duplicate_window_seconds,
        declare=False,
    )


async def ensure_stream(broker: NatsBroker, settings: Settings) -> None:
    """Create the stream, or bring its subjects, de-duplication window and replicas up to
    date (JetStream changes a stream's replica count in place on a cluster), leaving the
    rest of its configuration as the deployment set it; StreamRefused when the broker will
    not have it so."""
    await declare_stream(broker.connection, settings)


async def declare_stream(nc: Client, settings: Settings) -> None:
    """``ensure_stream`` on a NATS connection of one's own.

    An existing stream is changed only where these settings say otherwise, from its own
    configuration: updated with these settings alone, it lost at every start of a carecoord
    process whatever else a deployment had given it (a retention ``max_age`` or
    ``max_msgs``, ``deny_delete``), as an update resets what it does not name.
    """
    js = nc.jetstream()
    subjects = [f"{settings.subject_root}.>"]
    try:
        held = (await js.stream_info(settings.stream_name)).config
    except NotFoundError:
        change, config = (
            js.add_stream,
            StreamConfig(
                name=settings.stream_name,
                subjects=subjects,
                duplicate_window=settings.duplicate_window_seconds,
                num_replicas=settings.stream_replicas,
            ),
        )
    else:
        config = dataclasses.replace(
            held,
            subjects=subjects,
            duplicate_window=settings.duplicate_window_seconds,
            num_replicas=settings.stream_replicas,
        )
        if config == held:
            return
        change = js.update_stream
    try:
        await change(config)
    except (BadRequestError, ServerError) as refusal:  # not ServiceUnavailable: that passes
        raise StreamRefused(settings, refusal) from None
