"""Early-stopping rules (Azure's semantics) and hyperband rungs."""
