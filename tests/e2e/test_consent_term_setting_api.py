"""How far ahead a consent's ``expiresAt`` may lie is the platform's setting
(``CARECOORD_CONSENT_TERM_MAX_DAYS``, ten years unless set): a program whose consents run at
most a year refuses one dated further, as a typo, where the ten years in the code allowed it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import isolated_settings
from test_consent_expiry_api import CONSENT, enrolled_days_ago, terms

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api, ahead


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, consent_term_max_days=366)


async def test_an_expiry_past_the_set_term_is_refused_and_one_within_it_recorded(
    api: Api,
) -> None:
    client_id = await enrolled_days_ago(api, 30)

    body = await api.gql(
        CONSENT, terms(client_id, "dr-far", expiresAt=ahead(days=400)), role=Role.PROGRAM_ADMIN
    )
    kept = await api.ok(
        CONSENT, terms(client_id, "dr-near", expiresAt=ahead(days=300)), role=Role.PROGRAM_ADMIN
    )

    [error] = body["errors"]
    assert error["extensions"]["field"] == "expiresAt"
    assert error["extensions"]["rule"] == "expiry-within-term"
    assert "more than 366 days ahead" in error["message"]
    assert kept["recordConsent"]["id"]
