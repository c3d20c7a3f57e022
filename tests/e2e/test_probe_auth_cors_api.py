"""Pages of the web origins CARECOORD_CORS_ORIGINS names may call the API from a browser:
the preflight is answered with the headers a request carries (token, role, idempotency key)
and the answer may be read; another origin's page gets no CORS headers, so the browser keeps
the answer from it. Without the setting, a clinic's web app served from its own origin could
not call the API at all (every preflight answered 405)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import isolated_settings

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api

CLINIC = "https://clinic.example.org"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, cors_origins=(CLINIC,))


async def test_the_clinics_origin_is_answered_its_preflight_and_may_read(api: Api) -> None:
    preflight = await api.http.options(
        "/graphql",
        headers={
            "Origin": CLINIC,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    answer = await api.http.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Origin": CLINIC, "Authorization": f"Bearer {api.token(Role.NURSE)}"},
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == CLINIC
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key", "x-carecoord-role"} <= {
        h.strip() for h in allowed.split(",")
    }
    assert "access-control-allow-credentials" not in preflight.headers
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert answer.headers["access-control-allow-origin"] == CLINIC


async def test_another_origin_gets_no_cors_headers(api: Api) -> None:
    preflight = await api.http.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    answer = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
    )

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("origin", ["*", "https://clinic.example.org/", "clinic.example.org"])
def test_an_origin_that_is_none_is_refused_at_start(data_dir: Path, origin: str) -> None:
    with pytest.raises(ValueError, match="is no web origin"):
        isolated_settings(data_dir, cors_origins=(origin,))


def test_origins_are_read_separated_by_commas_or_as_a_json_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARECOORD_CORS_ORIGINS", "https://a.example, http://localhost:3000")
    assert Settings().cors_origins == ("https://a.example", "http://localhost:3000")
    monkeypatch.setenv("CARECOORD_CORS_ORIGINS", '["https://a.example"]')
    assert Settings().cors_origins == ("https://a.example",)
