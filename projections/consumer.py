"""The live feed of projections: a durable JetStream consumer read in ordered batches.

FastStream 0.7 runs the messages of one pull concurrently unless ``batch=True``, so the
handler takes the whole ordered batch and applies it in one transaction. A failure naks
the batch and JetStream redelivers it; the position check makes that harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from faststream import AckPolicy, Context
from faststream.nats import NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from nats.aio.msg import Msg

from carecoord.events import catalog
from carecoord.projections.projector import Projector
from carecoord.services.broker import stream_of
from carecoord.services.relay import POSITION_HEADER, TYPE_HEADER
from carecoord.services.settings import Settings
from carecoord.services.store import Positioned


def decode(messages: Sequence[Msg]) -> list[Positioned]:
    batch = []
    for msg in messages:
        headers = msg.headers or {}
        event = catalog.decode(headers[TYPE_HEADER], msg.data)
        batch.append(Positioned(int(headers[POSITION_HEADER]), event))
    return batch


def subscribe(broker: NatsBroker, projector: Projector, settings: Settings) -> None:
    """Register the projector's durable, ordered, batched subscriber on the broker."""

    @broker.subscriber(
        f"{settings.subject_root}.>",
        stream=stream_of(settings),
        durable=f"projection-{projector.name}",
        pull_sub=PullSub(
            batch_size=settings.projection_batch_size,
            timeout=settings.projection_batch_wait,
            batch=True,
        ),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=f"projection.{projector.name}",
        description=f"Builds the {projector.name} read model.",
    )
    async def project(message: Annotated[NatsBatchMessage, Context("message")]) -> None:
        await projector.handle(decode(message.raw_message))
