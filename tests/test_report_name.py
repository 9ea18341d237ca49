"""`hpo_bridge.report` stays the reporting function even after every subpackage is imported."""

import importlib
import pkgutil

import hpo_bridge


def test_report_is_not_shadowed_by_a_subpackage() -> None:
    for info in pkgutil.walk_packages(hpo_bridge.__path__, "hpo_bridge."):
        if info.name.startswith("hpo_bridge.commands"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:
            continue  # optional extras (mlflow, torch) may be absent
    assert callable(hpo_bridge.report)
    assert hpo_bridge.report.__module__ == "hpo_bridge._report"
