"""The schema: one type per area, merged; error shaping and limits as extensions."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types

from carecoord.graphql.care import CareMutation
from carecoord.graphql.errors import ShapeAndMaskErrors, ShapeErrors
from carecoord.graphql.medication import MedicationMutation
from carecoord.graphql.status import StatusQuery
from carecoord.graphql.timeline import TimelineQuery, TimelineSubscription

Query = merge_types("Query", (TimelineQuery, StatusQuery))
Mutation = merge_types("Mutation", (CareMutation, MedicationMutation))
Subscription = merge_types("Subscription", (TimelineSubscription,))


def build_schema(*, production: bool = False) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            ShapeAndMaskErrors if production else ShapeErrors,
            lambda: QueryDepthLimiter(max_depth=10),
            lambda: MaxAliasesLimiter(max_alias_count=30),
            lambda: MaxTokensLimiter(max_token_count=2000),
        ],
    )
