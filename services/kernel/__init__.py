"""What every clinical context shares: the aggregate base, the envelope stamp, refusals as types,
and the access policy as data."""
