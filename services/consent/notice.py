"""The 42 CFR 2.32 notice that must accompany every disclosure made with consent.

Source: 42 CFR 2.32 as amended by the 2024 final rule (89 FR 12472),
https://compliancecosmos.org/notice-and-copy-consent-accompany-disclosure ; the wording is
marked "verify" in shared/design/domain.md section 4.1, so it is versioned here and the
version travels with each disclosure.
"""

from __future__ import annotations

NOTICE_VERSION = "2.32-2024"
REDISCLOSURE_NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, "
    "or testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with "
    "42 CFR 2.64 or 2.65. In addition, the Federal rules prohibit you from making any other "
    "use or disclosure of this record unless at least one of the following applies: further "
    "use or disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed in this record or as otherwise permitted by 42 CFR part "
    "2. A general authorization for the release of medical or other information is NOT "
    "sufficient for this purpose (see 42 CFR 2.31)."
)
