"""The edges the domain knows nothing of: the event store, the command bus, the relay and broker,
positions, logs and chains, identity, metrics."""
