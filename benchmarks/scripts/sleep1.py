"""A one-second trial: sleeps a second, then reports one metric (`loss=0.5`, read by
hpo-bridge's regex and by the Ray Tune trainable that runs it). Arguments are ignored."""

import time

time.sleep(1.0)
print("loss=0.5", flush=True)
