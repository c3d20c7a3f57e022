"""A user's access to the platform: suspended at once by a program admin, and reinstated.

access.py (the record and its rules) ← commands.py (load, decide, record). The gate asks the
store itself whether a user is suspended (``services/gate/suspensions.py``), never a view.
"""
