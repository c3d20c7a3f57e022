"""A token's claims read as what they say, or are refused: a ``program`` claim of JSON null
(an identity provider's mapper writing one for a user whose attribute it lacks) read as no
claim, and a program admin whose token named no program managed every program; and an
unknown role is named as a header's is, where the whole roles claim was answered back."""

from __future__ import annotations

import pytest

from carecoord.services.infrastructure.identity import identity_of
from carecoord.services.kernel.errors import Unauthenticated


@pytest.mark.parametrize("role", ["program_admin", "auditor", "nurse"])
def test_a_null_program_claim_is_refused_not_read_as_every_program(role: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        identity_of({"sub": "admin-1", "roles": [role], "program": None})
    assert refused.value.rule == "token-program"


def test_a_token_without_the_claim_still_acts_for_every_program() -> None:
    assert identity_of({"sub": "admin-1", "roles": ["program_admin"]}).program is None


@pytest.mark.parametrize("role", ["x" * 30_000, "nurse\x1b[2J", None, ["nurse"], {"a": 1}, 7])
def test_an_unknown_role_is_refused_without_the_claim_answered_whole(role: object) -> None:
    with pytest.raises(Unauthenticated) as refused:
        identity_of({"sub": "nurse-1", "roles": ["nurse", role]})
    assert refused.value.rule == "token-role"
    assert len(refused.value.message) < 100
    assert "\x1b" not in refused.value.message


def test_an_unknown_role_written_plainly_is_named() -> None:
    with pytest.raises(Unauthenticated) as refused:
        identity_of({"sub": "nurse-1", "roles": ["NURSE"]})
    assert refused.value.message == "unknown role in token: 'NURSE'"
