"""Trial contracts: how a trial receives its hyperparameters and hands back metrics.

One module per contract (local, sagemaker, vertex, azure, vega), each a
`TrialContract` (base.py), registered by name in hpo_bridge/builtins.py.
"""

from hpo_bridge.contracts.base import ContractError, Launch, TrialContext, TrialContract

__all__ = ["ContractError", "Launch", "TrialContext", "TrialContract"]
