"""Benchmarks: carecoord against the bare eventsourcing library and raw PostgreSQL."""
