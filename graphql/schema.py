"""The schema: one type per area, merged; error shaping and limits as extensions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache
from strawberry.tools import merge_types

from carecoord.graphql.access import AccessMutation, AccessQuery
from carecoord.graphql.access_as_of import AccessAsOfQuery
from carecoord.graphql.alerts import AlertMutation, AlertQuery
from carecoord.graphql.audit import AuditQuery
from carecoord.graphql.care import CareMutation
from carecoord.graphql.care_history import CareHistoryQuery
from carecoord.graphql.caseload import CaseloadQuery, CaseloadSubscription
from carecoord.graphql.checkins import CheckInMutation, CheckInQuery
from carecoord.graphql.datetimes import DATETIME
from carecoord.graphql.decimals import DECIMAL
from carecoord.graphql.disclosures import DisclosureQuery
from carecoord.graphql.dispensing_sites import DispensingSitesQuery
from carecoord.graphql.document_limits import alias_limit, depth_limit
from carecoord.graphql.errors import Schema, ShapeAndMaskErrors, ShapeErrors
from carecoord.graphql.http_operations import NoSubscriptionOverHttp
from carecoord.graphql.input_bounds import bound_arguments
from carecoord.graphql.medication import MedicationMutation
from carecoord.graphql.medication_views import MedicationQuery
from carecoord.graphql.metrics import RequestMetrics
from carecoord.graphql.operation_named import OperationNamed
from carecoord.graphql.operation_trace import OperationTrace
from carecoord.graphql.plain_fields import PlainCompletion, read_plain_fields_directly
from carecoord.graphql.plain_inputs import build_inputs_directly
from carecoord.graphql.production import WithoutSuggestions, production_validation
from carecoord.graphql.record_export import RecordExportQuery
from carecoord.graphql.seqs import SEQ, Seq
from carecoord.graphql.status import StatusQuery
from carecoord.graphql.stock import StockMutation
from carecoord.graphql.stock_views import StockQuery
from carecoord.graphql.therapy import TherapyMutation, TherapyQuery
from carecoord.graphql.timeline import TimelineQuery, TimelineSubscription
from carecoord.graphql.users import NotSuspended, UserAccessMutation, UserAccessQuery
from carecoord.graphql.validated import validation_cache
from carecoord.graphql.validation_errors import ExplainedValidation
from graphql import GraphQLError

Query = merge_types(
    "Query",
    (
        TimelineQuery,
        StatusQuery,
        AccessQuery,
        DisclosureQuery,
        AuditQuery,
        RecordExportQuery,
        AccessAsOfQuery,
        MedicationQuery,
        CheckInQuery,
        AlertQuery,
        CaseloadQuery,
        CareHistoryQuery,
        TherapyQuery,
        StockQuery,
        DispensingSitesQuery,
        UserAccessQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        CareMutation,
        MedicationMutation,
        AccessMutation,
        TherapyMutation,
        CheckInMutation,
        AlertMutation,
        StockMutation,
        UserAccessMutation,
    ),
)
Subscription = merge_types("Subscription", (TimelineSubscription, CaseloadSubscription))
# Every argument a client sends is checked against the event catalog's bounds before a
# resolver reads it (graphql/input_bounds.py): new fields are covered as they are merged.
# Filters may name any date ("as of 2999" is everything); what is recorded may not. A
# filter's list given empty is refused rather than read as left out.
bound_arguments(Mutation)
bound_arguments(Query, dates=False, reads=True)
bound_arguments(Subscription, dates=False, reads=True)


class CachedParse(ParserCache):
    """strawberry's parser cache, leaving a document that does not parse to strawberry's own
    parse, which answers it as a request error. Raised from this hook, the error escaped a
    subscription's stream: the operation ended with no error sent, and the log line of the
    escaped exception quoted the query, with whatever values it held."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


# The limiters' rule classes, made once: a limiter built per request makes new rule classes
# each time, and the validation cache (keyed by the rules) would never hit.
MAX_DEPTH = 10
LIMITS = (depth_limit(MAX_DEPTH), alias_limit(30))


def build_schema(*, production: bool = False) -> strawberry.Schema:
    schema = Schema(  # strawberry's, logging errors without their content
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            OperationTrace,  # the correlation id on every log line; a span when tracing is on
            NoSubscriptionOverHttp,  # subscriptions over the websocket only
            ShapeAndMaskErrors if production else ShapeErrors,
            RequestMetrics,  # refusals by rule, each operation named for its latency
            lambda: AddValidationRules(list(LIMITS)),
            lambda: MaxTokensLimiter(max_token_count=2000),
            # Care-team clients send the same few documents all day: parse and validate once.
            lambda: CachedParse(maxsize=512),
            # production: no suggestions, introspection only with a token and depth-limited
            production_validation(MAX_DEPTH) if production else validation_cache(),
            OperationNamed,  # several operations and none named: refused, none run
            ExplainedValidation,  # a bad literal named and located; an abort explained
            NotSuspended,  # a suspended user's operations refused before they run
        ],
        execution_context_class=WithoutSuggestions if production else PlainCompletion,
        scalar_overrides={Decimal: DECIMAL, datetime: DATETIME, Seq: SEQ},
    )
    read_plain_fields_directly(schema)
    build_inputs_directly(schema)
    return schema
