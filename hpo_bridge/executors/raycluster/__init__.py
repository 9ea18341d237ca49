"""The `ray` executor: hpo-bridge's own scheduler, its trials on a Ray cluster.

executor.py (orchestrator side, no Ray import), link.py (the Ray driver process),
runner.py (one actor per trial on a node), protocol.py (their messages), settings.py
(`backends.ray`), nodespec.py (the spec as a node sees it), codezip.py (the code folder
as the working_dir).
"""
