"""The broker edge: one FastStream NATS broker and the JetStream stream of care events."""

from __future__ import annotations

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
    date (JetStream changes a stream's replica count in place on a cluster); StreamRefused
    when the broker will not have it so."""
    await declare_stream(broker.connection, settings)


async def declare_stream(nc: Client, settings: Settings) -> None:
    """``ensure_stream`` on a NATS connection of one's own."""
    js = nc.jetstream()
    config = StreamConfig(
        name=settings.stream_name,
        subjects=[f"{settings.subject_root}.>"],
        duplicate_window=settings.duplicate_window_seconds,
        num_replicas=settings.stream_replicas,
    )
    try:
        await js.stream_info(settings.stream_name)
    except NotFoundError:
        change = js.add_stream
    else:
        change = js.update_stream
    try:
        await change(config)
    except (BadRequestError, ServerError) as refusal:  # not ServiceUnavailable: that passes
        raise StreamRefused(settings, refusal) from None
