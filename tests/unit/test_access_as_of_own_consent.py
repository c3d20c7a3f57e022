"""A consent naming whoever recorded it (kept before such consents were refused) grants them
nothing at any time asked about: the as-of view counts consents as the live grant does."""

from __future__ import annotations

from datetime import date, timedelta

from every_event import ADMIN, START, THERAPIST, Record

from carecoord.events import Kind
from carecoord.events.access import Basis
from carecoord.events.care import ClientEnrolled
from carecoord.events.careteam import CareTeamMemberAssigned
from carecoord.events.consent import ConsentRecorded, Recipient, RecipientType
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.access_as_of import AccessAsOf


def consented_by(recorder_is_reader: bool) -> AccessAsOf:
    r = Record()
    r.add(ClientEnrolled, ADMIN, display_name="Jo R.", program="North OTP")
    r.add(CareTeamMemberAssigned, ADMIN, member_id=THERAPIST.id, role=THERAPIST.role)
    r.add(
        ConsentRecorded, THERAPIST if recorder_is_reader else ADMIN,
        consent_id=r.client_id, recipients=(Recipient(type=RecipientType.MEMBER, id=THERAPIST.id),),
        purpose="treatment", data_kinds=(Kind.COUNSELING_NOTE,), signed_on=date(2026, 1, 5),
        signed_by="Jo R.",
    )  # fmt: skip
    history = [Positioned(n, e) for n, e in enumerate(r.events, start=1)]
    return AccessAsOf.rebuilt(r.client_id, history, START + timedelta(days=1))


def test_a_consent_the_reader_recorded_naming_themself_opens_nothing() -> None:
    own = consented_by(recorder_is_reader=True).grant(THERAPIST)
    given = consented_by(recorder_is_reader=False).grant(THERAPIST)

    assert own.basis is Basis.CARE_TEAM
    assert Kind.COUNSELING_NOTE not in own.kinds
    assert own.consent_ids == ()
    assert Kind.COUNSELING_NOTE in given.kinds
    assert len(given.consent_ids) == 1
