"""A client's place in the program: enrollment (and, later, level of care and care team)."""
