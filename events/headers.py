"""The headers an event carries on the broker, beside its JSON body: part of the contract.

The relay sets them on every message (``services/infrastructure/relay.py``); the AsyncAPI document
describes them (``contract.py``); a subscriber reads the position and the type from them
before it decodes the body.
"""

from __future__ import annotations

from uuid import UUID

from carecoord.events.envelope import CareEvent, type_name

MSG_ID = "Nats-Msg-Id"
POSITION = "Carecoord-Position"
TYPE = "Carecoord-Type"
CONTENT_TYPE = "content-type"
CORRELATION = "correlation_id"
EXPECTED_STREAM = "Nats-Expected-Stream"
TRACEPARENT = "traceparent"
"""Set as the relay publishes (its stream; its span, with tracing on), not by ``for_entry``."""
JSON = "application/json"

MEANING = {
    MSG_ID: "The event id (the payload's event_id): JetStream drops a message published again"
    " with it inside the stream's duplicate window, so the stream holds each event once.",
    POSITION: "The event's global position in the store's log, in decimal: increasing along"
    " the stream (with gaps), but for a late event (one the relay set aside, published again"
    " by the operator after later ones), which comes under positions already sent. A"
    " subscriber that keeps each position it applied as a unique key and skips a message at"
    " one of them applies each event once; one that skips any not above the last it applied"
    " drops a late event for good.",
    TYPE: "The catalog name, <context>.<Type>, as in the subject and the payload's type: what"
    " to decode the body as (carecoord.events.catalog.decode, which upcasts older versions).",
    CONTENT_TYPE: "Always application/json.",
    CORRELATION: "The payload's correlation_id, shared by every event one request caused: a"
    " FastStream subscriber reads it as the message's correlation id.",
    EXPECTED_STREAM: "The stream the relay published to (the stream_name setting, CARE by"
    " default): JetStream stores the message only if that stream holds its subject. Nothing"
    " for a subscriber to read; named so that one checking headers finds none unexplained.",
    TRACEPARENT: "With tracing on (docs/deployment.md, Tracing), the W3C trace context of the"
    " relay's span that published the message, for a consumer's span to follow from.",
}


def for_event(event: CareEvent, position: int) -> dict[str, str]:
    """The headers of ``event`` published at ``position``."""
    return for_entry(event.event_id, event.correlation_id, type_name(type(event)), position)


def for_entry(event_id: UUID, correlation_id: UUID, name: str, position: int) -> dict[str, str]:
    """The headers of the event ``event_id`` of type ``name`` published at ``position``: an
    event the relay forwards as stored has no model of this catalog to take them from."""
    return {
        MSG_ID: str(event_id),
        POSITION: str(position),
        TYPE: name,
        CONTENT_TYPE: JSON,
        CORRELATION: str(correlation_id),
    }
