"""Built-in benchmarks for the simulator executor: functions with known optima and tables.

Functions (`branin`, `hartmann6`, and their multi-fidelity `-mf` variants) report
under the spec's objective metric; `curves` is a 100 x 27 learning-curve table
(parameter `config` in 0..99, metric `accuracy`).
"""

from hpo_bridge.executors.benchmarks.curves import learning_curves
from hpo_bridge.executors.benchmarks.functions import BENCHMARKS, Benchmark, branin, hartmann6

TABLES = {"curves": learning_curves}

__all__ = ["BENCHMARKS", "TABLES", "Benchmark", "branin", "hartmann6", "learning_curves"]
