"""Check-ins, scored instruments, drug screens and vital signs: how a client is doing between
visits, and the alerts those signals raise."""
