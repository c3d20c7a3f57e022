"""Examples of building on carecoord from outside it: services that follow its events.

``census`` is a downstream service a team would write against the published contract
(``docs/events.md``): a durable, ordered, idempotent, typed subscriber to the care stream.
"""
