"""Prescribing and dispensing: who may say what about a client's medications, and when."""
