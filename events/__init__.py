"""The event catalog: the public contract of what carecoord records and publishes."""

from carecoord.events import catalog
from carecoord.events.access import DISCLOSURE_EVENTS, BreakGlassUsed, ClientRecordRead
from carecoord.events.alerts import ALERT_EVENTS
from carecoord.events.care import (
    EPISODE_CORRECTIONS,
    ClientDischarged,
    ClientEnrolled,
    ClientReadmitted,
    GoalProgressRecorded,
    LevelOfCareChanged,
    TreatmentGoalSet,
)
from carecoord.events.careteam import CareTeamMemberAssigned, CareTeamMemberEnded
from carecoord.events.checkins import CHECKIN_EVENTS
from carecoord.events.consent import ConsentExpired, ConsentRecorded, ConsentRevoked
from carecoord.events.envelope import Actor, CareEvent, Kind, Role
from carecoord.events.medication import (
    MEDICATION_EVENTS,
    DoseAdministered,
    MedicationPrescribed,
    Schedule,
)
from carecoord.events.stock import STOCK_EVENTS
from carecoord.events.therapy import CALENDAR_EVENTS, PROGRAM_EVENTS, THERAPY_EVENTS
from carecoord.events.users import USER_EVENTS

catalog.register(ClientEnrolled, MedicationPrescribed, DoseAdministered)
catalog.register(*MEDICATION_EVENTS)
catalog.register(CareTeamMemberAssigned, CareTeamMemberEnded, ConsentRecorded, ConsentRevoked)
catalog.register(BreakGlassUsed, *DISCLOSURE_EVENTS, ClientRecordRead)
catalog.register(LevelOfCareChanged, TreatmentGoalSet, GoalProgressRecorded)
catalog.register(*THERAPY_EVENTS, *CHECKIN_EVENTS, *ALERT_EVENTS)
catalog.register(*STOCK_EVENTS)
catalog.register(*CALENDAR_EVENTS)
catalog.register(*PROGRAM_EVENTS)
catalog.register(ClientDischarged, ClientReadmitted)
catalog.register(ConsentExpired)
catalog.register(*EPISODE_CORRECTIONS)
catalog.register(*USER_EVENTS)

__all__ = [
    "Actor",
    "CareEvent",
    "ClientEnrolled",
    "DoseAdministered",
    "Kind",
    "MedicationPrescribed",
    "Role",
    "Schedule",
    "catalog",
]
