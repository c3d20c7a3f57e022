"""Clinical alerts: rules as versioned data, evaluated deterministically over events, and
the care team's acknowledgements and resolutions."""
