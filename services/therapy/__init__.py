"""Therapy sessions (individual and group), their outcomes and notes."""
