"""The event catalog: the public contract of what carecoord records and publishes."""

from carecoord.events import catalog
from carecoord.events.care import ClientEnrolled
from carecoord.events.envelope import Actor, CareEvent, Kind, Role
from carecoord.events.medication import DoseAdministered, MedicationPrescribed, Schedule

catalog.register(ClientEnrolled, MedicationPrescribed, DoseAdministered)

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
