"""Read models built from the event stream: what the care team reads."""
