"""The 42 CFR 2.32(a)(1) notice as the 2024 final rule words it, each earlier version kept
word for word for the disclosures recorded with it. The notice listed only the first of the
three conditions under which a recipient may use or disclose the record further."""

from __future__ import annotations

import hashlib

from carecoord.services.consent.notice import (
    NOTICE_VERSION,
    NOTICES,
    REDISCLOSURE_NOTICE,
    UNLISTED,
    version_of,
)

CONDITIONS = (
    "(1) Further use or disclosure is expressly permitted by the written consent of the"
    " individual whose information is being disclosed in this record or as otherwise"
    " permitted by 42 CFR part 2.",
    "(2) You are a covered entity or business associate and have received the record for"
    " treatment, payment, or health care operations, or",
    "(3) You have received the record from a covered entity or business associate as"
    " permitted by 45 CFR part 164, subparts A and E.",
)
ENDING = (
    "A general authorization for the release of medical or other information is NOT"
    " sufficient to meet the required elements of written consent to further use or"
    " redisclose the record (see 42 CFR 2.31)."
)
# sha256 of the text disclosures were recorded with under "2.32-2024".
FIRST = "166d8e59c46dc9eb8bb8747b5c5f05ed94473b55cec75e15280bdc204c7e4506"


def test_the_notice_lists_the_three_conditions_and_ends_on_general_authorizations() -> None:
    for condition in CONDITIONS:
        assert condition in REDISCLOSURE_NOTICE
    assert REDISCLOSURE_NOTICE.endswith(ENDING)
    assert NOTICE_VERSION != "2.32-2024"


def test_the_earlier_notice_is_kept_word_for_word_under_its_version() -> None:
    assert hashlib.sha256(NOTICES["2.32-2024"].encode()).hexdigest() == FIRST


def test_a_recorded_notice_names_its_version() -> None:
    assert version_of(REDISCLOSURE_NOTICE) == NOTICE_VERSION
    assert version_of(NOTICES["2.32-2024"]) == "2.32-2024"
    assert version_of("42 CFR part 2 prohibits unauthorized disclosure") == UNLISTED
