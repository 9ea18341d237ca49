"""Results as tables, JSON and CSV; live progress of a running study."""
