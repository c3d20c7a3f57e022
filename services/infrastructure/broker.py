"""The broker edge: one FastStream NATS broker and the JetStream stream of care events."""

from __future__ import annotations

from faststream.nats import JStream, NatsBroker
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from carecoord.services.infrastructure.settings import Settings


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
    date (JetStream changes a stream's replica count in place on a cluster)."""
    js = broker.connection.jetstream()
    config = StreamConfig(
        name=settings.stream_name,
        subjects=[f"{settings.subject_root}.>"],
        duplicate_window=settings.duplicate_window_seconds,
        num_replicas=settings.stream_replicas,
    )
    try:
        await js.stream_info(settings.stream_name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)
