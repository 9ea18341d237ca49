"""Executors: run single trials for the core's tuner loop (processes, simulated curves)."""
