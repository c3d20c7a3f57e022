"""A token's claims read as what they say, or are refused: a ``program`` claim of JSON null
(an identity provider's mapper writing one for a user whose attribute it lacks) read as no
claim, and a program admin whose token named no program managed every program."""

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
