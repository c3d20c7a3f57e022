"""The 42 CFR 2.32 notice that must accompany every disclosure made with consent.

Source: 42 CFR 2.32(a)(1) as amended by the 2024 final rule (89 FR 12472),
https://compliancecosmos.org/notice-and-copy-consent-accompany-disclosure ; the wording is
marked "verify" in shared/design/domain.md section 4.1, so it is versioned here and the
version travels with each disclosure. Every version stays: a disclosure keeps the text it was
recorded with, and one intended under an earlier version is sent with that text and version.
"2.32-2024" listed only the first of the rule's three conditions for further use or
disclosure; "2.32-2024.2" lists all three.
"""

from __future__ import annotations

_PROHIBITION = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, "
    "or testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with "
    "42 CFR 2.64 or 2.65. In addition, the Federal rules prohibit you from making any other "
    "use or disclosure of this record unless at least one of the following applies: "
)
NOTICES = {
    "2.32-2024": _PROHIBITION
    + "further use or disclosure is expressly permitted by the written consent of the "
    "individual whose information is being disclosed in this record or as otherwise "
    "permitted by 42 CFR part 2. A general authorization for the release of medical or "
    "other information is NOT sufficient for this purpose (see 42 CFR 2.31).",
    "2.32-2024.2": _PROHIBITION
    + "(1) Further use or disclosure is expressly permitted by the written consent of the "
    "individual whose information is being disclosed in this record or as otherwise "
    "permitted by 42 CFR part 2. (2) You are a covered entity or business associate and have "
    "received the record for treatment, payment, or health care operations, or (3) You have "
    "received the record from a covered entity or business associate as permitted by 45 CFR "
    "part 164, subparts A and E. A general authorization for the release of medical or other "
    "information is NOT sufficient to meet the required elements of written consent to "
    "further use or redisclose the record (see 42 CFR 2.31).",
}
"""Each version of the notice's text, by its version."""
NOTICE_VERSION = "2.32-2024.2"
REDISCLOSURE_NOTICE = NOTICES[NOTICE_VERSION]
UNLISTED = "unlisted"
"""The version of a recorded notice whose text no version here holds."""


def version_of(notice: str) -> str:
    """The version a recorded notice was issued under (``UNLISTED`` for none)."""
    return next((v for v, text in NOTICES.items() if text == notice), UNLISTED)
