"""Pure scheduling and early-stopping logic: no I/O, no wall clock, deterministic per seed."""
