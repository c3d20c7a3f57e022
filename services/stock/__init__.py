"""A site's controlled-substance stock: who may say what about it, and when.

record.py (the aggregate's state) ← movements.py (receipts, waste, transfers), counts.py
(counts, witnesses, discrepancies), corrections.py (a receipt or waste marked entered in
error) and transfers_in_error.py (a transfer marked so, at both sites) ← commands.py (what
the bus runs). The doses that draw on the stock are the medication context's; a decision
that needs them is given what the stock view read of them (``Ledger``), through a stated
store position. draws.py is what a dose
may name as its lot and may draw from it: the medication commands ask it of the site's
record and of the lot's record of draws (lot_draws.py), which each draw writes.
"""
