"""The care team's medication steps through the GraphQL API, for end-to-end tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import support
from carecoord.events import Role
from carecoord.services.kernel.program_day import program_day
from carecoord.services.runtime.missed_sweep import sweep_once
from support import RECORDED, Api

INDUCTED = {"rule": "methadone-initial-dose", "reason": "opioid tolerance confirmed"}
"""The prescriber's rationale for a new client's first methadone dose above the initial-dose
cap (50 mg): what a test of another rule sends with such an order."""
ORDERED = (
    "{ id position findings { rule ruleVersion severity title implicated acknowledgedReason } }"
)


def mutation(input_type: str, name: str, fields: str = RECORDED) -> str:
    """The steps send their input as ``$i``."""
    return support.mutation(input_type, name, fields, variable="i")


ENROLL = mutation("EnrollClientInput", "enrollClient")
PRESCRIBE = mutation("PrescribeInput", "prescribeMedication", ORDERED)
CHANGE = mutation("ChangeDoseInput", "changeDose", ORDERED)
TAPER = mutation("TaperInput", "taperOrder", ORDERED)
STATEMENT = mutation("MedicationStatementInput", "recordMedicationStatement", ORDERED)
DOSE = mutation("AdministerDoseInput", "administerDose")
REPLACE = mutation("ReplaceDoseInput", "replaceDose")
NOT_GIVEN = mutation("DoseNotGivenInput", "recordDoseNotGiven")
TAKE_HOME = mutation("TakeHomeInput", "dispenseTakeHome")
ELIGIBILITY = mutation("TakeHomeEligibilityInput", "determineTakeHomeEligibility")
HOLD = mutation("OrderActionInput", "holdOrder")
RESUME = mutation("ResumeOrderInput", "resumeOrder")
DISCONTINUE = mutation("DiscontinueOrderInput", "discontinueOrder")
END_STATEMENT = mutation("EndMedicationStatementInput", "endMedicationStatement")
CONSENT = mutation("RecordConsentInput", "recordConsent")
SAFETY = """query($id: UUID!, $atLeast: Seq) {
  clientSafetyEvents(clientId: $id, atLeast: $atLeast) {
    kind refId rule: ruleId ruleVersion severity action medication dose start orderId detail
    exposure actorId actorRole
  }
}"""
MEDICATIONS = """query($id: UUID!, $atLeast: Seq, $history: Boolean! = false) {
  clientMedications(clientId: $id, atLeast: $atLeast, includeHistory: $history) {
    orders { id medication status dose timesPerDay start end priorOrderId replacedBy blind
             steps { start dose } hold { by reason rule } stoppedReason
             history { type summary recordedBy } }
    statements { id medication status source }
    findings { rule ruleVersion severity status title implicated acknowledgedReason }
  }
}"""
DOSING = """query($id: UUID!, $atLeast: Seq, $on: Date) {
  clientDosing(clientId: $id, atLeast: $atLeast, on: $on) {
    firstDoseDay daysInTreatment takeHomeSupplyDays given missed notGiven takeHomeDoses
    entries { day slot status medication amount detail recordedBy }
  }
}"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 500) { nodes { type summary } }
}"""
STOCK_LEDGER = """query($site: String!, $at: Seq, $d: Date!) {
  stockLedger(site: $site, atLeast: $at, fromDay: $d, toDay: $d) { rows { kind lot change } } }"""
ON_HAND = """query($site: String!, $at: Seq) { stockOnHand(site: $site, atLeast: $at) {
  lots { lot dispensed } } }"""
LOTS = """query($lot: String!, $at: Seq) { inventoryLedger(lot: $lot, atLeast: $at) {
  lots { dispensed entries { kind amount clientId } } } }"""


async def read(api: Api, query: str, position: int, role: Role, **variables: Any) -> Any:
    """The one field ``query`` asks for, read as nurse-kim in ``role`` once the views are at
    ``position``."""
    data = await api.ok(query, {"at": position, **variables}, role=role, user="nurse-kim")
    [result] = data.values()
    return result


CRITERIA = [
    "no-active-sud-or-risk-condition",
    "regular-attendance",
    "no-serious-behavioral-problems",
    "no-recent-diversion",
    "safe-transport-and-storage",
    "benefit-outweighs-risk",
]
DOCTOR, NURSE = "dr-lee", "nurse-kim"


def at(day: date, hour: int = 9) -> str:
    """``hour`` o'clock UTC on ``day``, or now if that is still to come: a clinical time in
    the future is refused."""
    moment = min(datetime.combine(day, time(hour), UTC), datetime.now(UTC))
    return moment.isoformat()


class Clinic:
    """One enrolled client, with a prescriber and a nurse on the care team."""

    def __init__(self, api: Api, client_id: str) -> None:
        self.api = api
        self.client_id = client_id
        self.position = 0

    @classmethod
    async def enroll(cls, api: Api, name: str, program: str = "OTP") -> Clinic:
        """Enrolled 90 days ago, so the steps may be dated in the weeks since."""
        enrolled = datetime.now(UTC) - timedelta(days=90)
        data = await api.ok(
            ENROLL,
            {"i": {"displayName": name, "program": program, "occurredAt": enrolled.isoformat()}},
            role=Role.PROGRAM_ADMIN,
        )
        clinic = cls(api, data["enrollClient"]["id"])
        await api.join_care_team(clinic.client_id, Role.PRESCRIBER, DOCTOR)
        clinic.position = await api.join_care_team(clinic.client_id, Role.NURSE, NURSE)
        return clinic

    async def methadone(self, dose: str, start: date, **more: Any) -> Any:
        """An oral methadone order from ``start`` at ``dose`` mg, prescribed with the
        rationale a new client's dose above the initial-dose cap needs (``INDUCTED``)."""
        return await self.doctor(
            PRESCRIBE, medication="methadone", dose=dose, acknowledgements=[INDUCTED],
            unit="mg", route="oral", start=str(start), **more,
        )  # fmt: skip

    async def doctor(self, query: str, **given: Any) -> Any:
        return await self._do(query, given, Role.PRESCRIBER, DOCTOR)

    async def nurse(self, query: str, **given: Any) -> Any:
        return await self._do(query, given, Role.NURSE, NURSE)

    async def _do(self, query: str, given: dict[str, Any], role: Role, user: str) -> Any:
        data = await self.api.ok(
            query, {"i": {"clientId": self.client_id, **given}}, role=role, user=user
        )
        [result] = data.values()
        self.position = max(self.position, result["position"])
        return result

    async def refused(self, query: str, role: Role = Role.NURSE, **given: Any) -> dict[str, Any]:
        user = NURSE if role is Role.NURSE else DOCTOR
        body = await self.api.gql(
            query, {"i": {"clientId": self.client_id, **given}}, role=role, user=user
        )
        [error] = body["errors"]
        extensions: dict[str, Any] = error["extensions"]
        return {"message": error["message"], **extensions}

    async def dose(
        self, order: str, day: date, amount: str, form: str = "oral solution", **more: Any
    ) -> str:
        """A dose at 9 o'clock on a day before today, charted late; one today is charted as
        it is given, now: an order written today is not dosed before it was written."""
        today = program_day(datetime.now(UTC), self.api.platform.medication.zone)
        given_at = {} if day >= today else {"givenAt": at(day)}
        result = await self.nurse(
            DOSE, orderId=order, amount=amount, dosageForm=form, lot="LOT-A", **given_at, **more
        )
        return str(result["id"])

    async def doses(self, order: str, first: date, days: int, amount: str, **more: Any) -> None:
        for n in range(days):
            await self.dose(order, first + timedelta(days=n), amount, **more)

    async def read(self, query: str, **variables: Any) -> Any:
        data = await self.api.ok(
            query,
            {"id": self.client_id, "atLeast": self.position, **variables},
            role=Role.PRESCRIBER,
            user=DOCTOR,
        )
        [result] = data.values()
        return result

    async def swept(self, today: date) -> None:
        """The missed-dose sweep as of ``today``; reads from here on include what it recorded."""
        platform = self.api.platform
        await self.read(MEDICATIONS)  # the sweep finds its candidates in this view
        await sweep_once(platform, today)
        self.position = await asyncio.to_thread(platform.store.last_position)

    async def consent_to_guest_dosing(self, site: str, signed_by: str, today: date) -> None:
        """The client's consent, signed a month ago for a year, to disclose their medication
        and dosing to ``site`` for guest dosing there."""
        consent = {
            "clientId": self.client_id,
            "recipients": [{"type": "ORGANIZATION", "id": site, "name": site}],
            "purpose": "treatment: guest dosing",
            "dataKinds": ["MEDICATION", "DOSING"],
            "signedOn": str(today - timedelta(days=30)),
            "signedBy": signed_by,
            "expiresAt": (datetime.now(UTC) + timedelta(days=365)).isoformat(),
        }
        await self.api.ok(CONSENT, {"i": consent}, role=Role.PROGRAM_ADMIN)

    async def eligible(self, max_days: int, on: date | None = None) -> None:
        criteria = [{"criterion": c, "met": True} for c in CRITERIA]
        when = {"occurredAt": at(on, 8)} if on else {}
        await self.doctor(
            ELIGIBILITY, maxDays=max_days, criteria=criteria, basis="stable, 2 clean UDS", **when
        )
