"""Test helpers: a GraphQL client that acts as a given role against a running API."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.platform import Platform

# The subscription protocol Strawberry speaks over websockets.
GRAPHQL_WS = (Subprotocol("graphql-transport-ws"),)

RECORDED = "{ id position }"
SOME_CLIENT = UUID("00000000-0000-4000-8000-00000000c11e")
"""The client id a client's token names when a test names none."""


def mutation(input_type: str, name: str, fields: str = RECORDED, variable: str = "input") -> str:
    """A mutation whose one argument is an input object, sent as ``$input`` by default."""
    return f"mutation(${variable}: {input_type}!) {{ {name}(input: ${variable}) {fields} }}"


ASSIGN_CARE_TEAM_MEMBER = mutation("AssignCareTeamMemberInput", "assignCareTeamMember")


class Api:
    """A running API server and a client that speaks GraphQL to it as a given role."""

    def __init__(self, platform: Platform, base_url: str) -> None:
        self.platform = platform
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)

    def token(self, role: Role, user: str | None = None) -> str:
        """A token for ``user``; by default ``<role>-1``, or for a client a client id no
        enrolment has (a client's token names their client id)."""
        default = str(SOME_CLIENT) if role is Role.CLIENT else f"{role.value}-1"
        return issue_token(self.platform.settings, user or default, role)

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: Role | None = None,
        token: str | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        if token is None and role is not None:
            token = self.token(role, user)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def health(
        self, path: str = "/health", *, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        """``path`` (``/health``) read in full, as a signed-in reader may (an auditor)."""
        bearer = {"Authorization": f"Bearer {self.token(Role.AUDITOR)}"}
        return await self.http.get(path, headers={**bearer, **(headers or {})}, **kw)

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = await self.gql(query, variables, **kw)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def join_care_team(self, client_id: str, role: Role, user: str | None = None) -> int:
        """Put ``user`` (default: the default token subject for ``role``) on the client's care
        team, as a program admin; returns the position to pass as ``atLeast``."""
        data = await self.ok(
            ASSIGN_CARE_TEAM_MEMBER,
            {
                "input": {
                    "clientId": client_id,
                    "memberId": user or f"{role.value}-1",
                    "role": role.name,
                }
            },
            role=Role.PROGRAM_ADMIN,
        )
        return int(data["assignCareTeamMember"]["position"])

    async def refusals(self, code: str, rule: str) -> float:
        """``carecoord_refusals_total`` of ``code`` and ``rule``, as ``/metrics`` says now."""
        text = (await self.http.get("/metrics")).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "carecoord_refusals_total"
            and sample.labels == {"code": code, "rule": rule}
        )

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"

    @contextlib.asynccontextmanager
    async def subscription(
        self, token: str, query: str, variables: dict[str, Any]
    ) -> AsyncIterator[ClientConnection]:
        """A graphql-transport-ws session opened with ``token``, subscribed (as id 1) to
        ``query``; the messages it then receives are the test's to read."""
        async with websockets.connect(self.ws_url, subprotocols=GRAPHQL_WS) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            await ws.send(json.dumps(init))
            ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", ack
            subscribe = {"query": query, "variables": variables}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            yield ws


def ago(**delta: float) -> str:
    """The time ``delta`` before now, as the API takes it: dates that stay after a client
    enrolled today and in the past, whatever day the tests run."""
    return (datetime.now(UTC) - timedelta(**delta)).replace(microsecond=0).isoformat()


def ahead(**delta: float) -> str:
    """The time ``delta`` after now, as the API takes it (a booking to come)."""
    return (datetime.now(UTC) + timedelta(**delta)).replace(microsecond=0).isoformat()
