"""OpenTelemetry tracing, on by a setting (``CARECOORD_TRACING``): off by default, and then
this module is not even imported (the composition root imports it only to turn tracing on;
the components hold ``None`` and skip their hooks).

The spans (docs/deployment.md, "Tracing"): each GraphQL operation, each commit of the command
bus, each page the relay publishes and each message in it, each batch the projector applies.
Their attributes are names, counts, positions and ids the code chose, never a variable, a
document, a client id or an error's message (42 CFR Part 2 data may be quoted in one): a
failed span says only the error's class. The relay puts each message's W3C ``traceparent``
in its headers, so services downstream continue the trace. The store keeps no trace context
with its events, so a relay or projector span finds the request that recorded its events by
the correlation id it carries (``carecoord.correlation_id``), not by a parent.

Exporters: ``otlp`` (OTLP over HTTP, configured by the standard ``OTEL_EXPORTER_OTLP_*``
variables) or ``console`` (spans as JSON on stderr, for development). The sampler is the
SDK's, from ``OTEL_TRACES_SAMPLER``; ``OTEL_SERVICE_NAME`` names the process (else
``carecoord``).
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Literal

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Link, NonRecordingSpan, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from carecoord.events.positioned import Positioned

Exporter = Literal["off", "console", "otlp"]
TRACER = "carecoord"


class Tracing:
    """The tracer this process's spans come from, and where they go."""

    def __init__(self, provider: TracerProvider) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer(TRACER)
        self._propagator = TraceContextTextMapPropagator()

    @classmethod
    def start(cls, exporter: Exporter, spans: SpanExporter | None = None) -> Tracing:
        """Tracing to ``exporter``; ``spans`` instead, one span at a time (tests)."""
        resource = Resource.create()
        if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
            resource = resource.merge(Resource({SERVICE_NAME: "carecoord"}))
        provider = TracerProvider(resource=resource)  # not the global one: passed explicitly
        if spans is not None:
            provider.add_span_processor(SimpleSpanProcessor(spans))
        elif exporter == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
        elif exporter == "otlp":
            # Imported here: the exporter pulls in protobuf and requests.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
                OTLPSpanExporter,
            )

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        return cls(provider)

    def shutdown(self) -> None:
        """Send what is waiting and stop."""
        self._provider.shutdown()

    def operation(
        self, headers: Mapping[str, str], correlation_id: str | None
    ) -> contextlib.AbstractContextManager[Span]:
        """A GraphQL operation, continuing the caller's trace when its request carries a
        ``traceparent``; named once it has parsed (``named``)."""
        parent = self._propagator.extract(headers)
        attributes: dict[str, AttributeValue] = {}
        if correlation_id is not None:
            attributes["carecoord.correlation_id"] = correlation_id
        return self._span("graphql", attributes, kind=SpanKind.SERVER, context=parent)

    @staticmethod
    def named(span: Span, operation_type: str, field: str) -> None:
        """Name a GraphQL operation's span once it has parsed: its type and first root field
        (names the schema bounds; never the client's own operation name, which is free text)."""
        span.update_name(f"{operation_type} {field}")
        span.set_attribute("graphql.operation.type", operation_type)
        span.set_attribute("carecoord.graphql.field", field)

    def commit(
        self, commands: int, submitted: Sequence[contextvars.Context]
    ) -> contextlib.AbstractContextManager[Span]:
        """One commit of the command bus: a child of the request that submitted every one of
        its commands, else linked to each request's span."""
        found = (_span_context(context) for context in submitted)
        members = list({(m.trace_id, m.span_id): m for m in found if m.is_valid}.values())
        parent = Context()  # the writer thread's own context holds nothing of a request
        links: list[Link] = []
        if len(members) == 1:
            parent = trace.set_span_in_context(NonRecordingSpan(members[0]), parent)
        else:
            links = [Link(member) for member in members]
        return self._span("commands commit", {"carecoord.commands": commands}, parent, links)

    def publishing(self, page: Sequence[Positioned]) -> contextlib.AbstractContextManager[Span]:
        """A page the relay publishes (its messages are spans of their own, ``publish``)."""
        attributes: dict[str, AttributeValue] = {
            "messaging.system": "nats",
            "messaging.batch.message_count": len(page),
        }
        return self._span("relay publish", attributes, kind=SpanKind.PRODUCER)

    @contextlib.contextmanager
    def publish(self, item: Positioned, headers: MutableMapping[str, str]) -> Iterator[Span]:
        """One message: its span's ``traceparent`` goes into ``headers``."""
        event = item.event
        attributes: dict[str, AttributeValue] = {
            "messaging.system": "nats",
            "messaging.operation.type": "send",
            "messaging.message.id": str(event.event_id),
            "carecoord.event_type": str(event.type),
            "carecoord.position": item.position,
            "carecoord.correlation_id": str(event.correlation_id),
        }
        with self._span("relay send", attributes, kind=SpanKind.PRODUCER) as span:
            self._propagator.inject(headers)
            yield span

    def applying(
        self, batch: Sequence[Positioned], through: int
    ) -> contextlib.AbstractContextManager[Span]:
        """A batch the projector applies to the read models."""
        ids = list(dict.fromkeys(str(item.event.correlation_id) for item in batch))
        attributes: dict[str, AttributeValue] = {
            "carecoord.events": len(batch),
            "carecoord.through": through,
            "carecoord.correlation_ids": ids,
        }
        return self._span("projector apply", attributes)

    @contextlib.contextmanager
    def _span(
        self,
        name: str,
        attributes: Mapping[str, AttributeValue],
        context: Context | None = None,
        links: Sequence[Link] = (),
        *,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> Iterator[Span]:
        """A span that, when what it wraps fails, says the error's class and nothing of its
        message (the SDK would record the message, and a database error's may quote data)."""
        with self._tracer.start_as_current_span(
            name,
            context=context,
            kind=kind,
            attributes=attributes,
            links=links,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield span
            except Exception as failure:  # a cancellation is no failure
                named = f"{type(failure).__module__}.{type(failure).__qualname__}"
                span.set_attribute("error.type", named)
                span.set_status(Status(StatusCode.ERROR, type(failure).__qualname__))
                raise


def _span_context(submitted: contextvars.Context) -> trace.SpanContext:
    return submitted.run(trace.get_current_span).get_span_context()
