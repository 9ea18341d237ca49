"""What every emulated AWS service shares: the JSON protocol, model validation, clients."""
