"""Population-based training (Jaderberg et al., 2017), pure: its settings, the exploit
step (who copies whom) and the explore step (how the copied configuration changes). The
searcher that runs a population is hpo_bridge.core.searchers.pbt."""

from hpo_bridge.core.pbt.exploit import Ranked, quantiles
from hpo_bridge.core.pbt.explore import Change, explore
from hpo_bridge.core.pbt.settings import PBTSettings

__all__ = ["Change", "PBTSettings", "Ranked", "explore", "quantiles"]
