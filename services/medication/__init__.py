"""Prescribing and dispensing: who may say what about a client's medications, and when.

record.py (the aggregate's state) ← prescribing.py / dispensing.py (decisions) ← commands.py
(what the bus runs). The rule tables, each with its source and version: formulary.py,
interactions.py, take_homes.py, missed.py, bundled in rules.py. missed_sweep.py is the
periodic task the platform runs; exports.py renders the DEA log and lot ledger.
"""
