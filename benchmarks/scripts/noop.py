"""A trial that does nothing but report one metric, in the forms every system reads.

`loss=0.5` for hpo-bridge's regex contract, a `[tune-metric]:` line (with the worker
timestamp Syne Tune requires) for Syne Tune's LocalBackend. Arguments are ignored.
"""

import time

print("loss=0.5")
stamp = f"{time.time():.3f}"
print('[tune-metric]: {"loss": 0.5, "epoch": 1, "st_worker_timestamp": ' + stamp + "}", flush=True)
