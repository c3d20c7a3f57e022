"""The composition root and the processes: settings become components here, and the CLI, workers,
embedded servers and sweeps run them."""
