"""An auditor's views of the record, read from the event store itself rather than from the
read models: exports (JSON Lines of events, FHIR R4 Bundles) and who could see what at a
given time."""
