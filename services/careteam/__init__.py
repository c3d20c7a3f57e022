"""Care teams: which clinicians are on a client's team, in which role, over time."""
