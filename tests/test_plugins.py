"""Plugins: a throw-away distribution with entry point group `hpo_bridge`, a broken one,
and a backend's settings model validating `backends.<name>` of a spec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from hpo_bridge.hookspecs import hookimpl
from hpo_bridge.loading import validate_spec
from hpo_bridge.plugins import KINDS, registry, reset_registry
from hpo_bridge.spec import SpecError

TOY_PLUGIN = '''
"""A throw-away hpo-bridge plugin: one searcher, one stopping rule, one backend."""
from pydantic import BaseModel, ConfigDict

from hpo_bridge.hookspecs import hookimpl


class ToySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str
    replicas: int = 1


class ToySearcher:
    def __init__(self, spec):
        self.spec = spec


@hookimpl
def register_searchers(register):
    register("toy-search", "hpob_toy_plugin:ToySearcher", description="a toy searcher")


@hookimpl
def register_stopping_rules(register):
    register("toy-stop", "hpob_toy_plugin:ToySearcher", description="a toy stopping rule")


@hookimpl
def register_backends(register):
    register("toyback", "hpob_toy_plugin:ToySearcher", settings=ToySettings,
             description="a toy backend")
'''


def _install(site: Path, dist: str, module: str, source: str) -> None:
    """Install a one-module distribution the way pip lays it out: module + *.dist-info."""
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[hpo_bridge]\n{module.removeprefix('hpob_').removesuffix('_plugin')} = {module}\n",
        encoding="utf-8",
    )
    (info / "RECORD").write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    _install(site, "hpo-bridge-toy", "hpob_toy_plugin", TOY_PLUGIN)
    _install(site, "hpo-bridge-broken", "hpob_broken_plugin",
             "import hpob_module_that_does_not_exist\n")
    return site


def _run(cli_exe: Path, site: Path, *args: str, cwd: Path | None = None):
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "250", "NO_COLOR": "1"}
    return subprocess.run([str(cli_exe), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def listed(cli_exe, plugin_site):
    return _run(cli_exe, plugin_site, "plugins"), _run(cli_exe, plugin_site, "plugins", "--json")


def test_installed_plugin_is_listed_with_its_distribution(listed):
    table, as_json = listed
    assert table.returncode == 0, table.stderr
    rows = [line.split("│")[1:5] for line in table.stdout.splitlines() if "│" in line]
    rows = [[cell.strip() for cell in row] for row in rows]
    assert ["searcher", "toy-search", "hpo-bridge-toy", "a toy searcher"] in rows
    assert ["stopping rule", "toy-stop", "hpo-bridge-toy", "a toy stopping rule"] in rows
    data = json.loads(as_json.stdout)
    toy = next(c for c in data["searchers"] if c["name"] == "toy-search")
    assert (toy["distribution"], toy["plugin"]) == ("hpo-bridge-toy", "toy")


def test_broken_plugin_is_reported_and_the_rest_keeps_working(listed):
    table, as_json = listed
    assert table.returncode == 0
    assert ("plugin broken (hpo-bridge-broken) failed to load: ModuleNotFoundError: No module"
            " named 'hpob_module_that_does_not_exist'") in " ".join(table.stderr.split())
    data = json.loads(as_json.stdout)
    assert data["failures"] == [{
        "plugin": "broken", "distribution": "hpo-bridge-broken",
        "error": "ModuleNotFoundError: No module named 'hpob_module_that_does_not_exist'",
    }]
    builtin = {c["name"] for c in data["searchers"] if c["distribution"] == "hpo-bridge"}
    assert builtin == {"random", "grid", "sobol", "bayesian", "hyperband", "bohb", "pbt"}
    assert {c["name"] for c in data["contracts"]} >= {"local", "sagemaker", "vertex", "azure",
                                                       "vega"}


def test_plugin_components_are_usable_in_a_spec(cli_exe, plugin_site, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent("""\
        name: toy
        objective: {metric: m, goal: minimize}
        search_space: {x: {type: int, low: 1, high: 3}}
        strategy: {algorithm: toy-search}
        early_stopping: {policy: toy-stop}
        backends:
          toyback: {region: eu-west-1, replicas: two, zone: a}
    """))
    out = _run(cli_exe, plugin_site, "validate", str(spec))
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        f"{spec}: backends.toyback.replicas: Input should be a valid integer,"
        " unable to parse string as an integer",
        f"{spec}: backends.toyback.zone: unknown key (valid keys: region, replicas)",
    ]
    # Without the plugin on the path the same names are unknown, and the message says so.
    bare = subprocess.run([str(cli_exe), "validate", str(spec)], capture_output=True, text=True,
                          timeout=120)
    assert "strategy.algorithm: unknown algorithm 'toy-search'" in bare.stderr
    assert "backends.toyback: unknown backend (installed: local" in bare.stderr


# -- in-process: a plugin object registered at run time ---------------------------------
class ShipSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(pattern=r"^[a-z]+-[a-z]+-\d$")
    instances: int = Field(default=1, ge=1)


def _plugin(**hooks) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


@pytest.fixture
def with_plugins():
    """Register plugin objects for one test, then rebuild the normal registry."""
    def install(*plugins: tuple[str, object]):
        return reset_registry(list(plugins))

    yield install
    reset_registry()


def _spec(**extra) -> dict:
    return {"name": "s", "objective": {"metric": "m", "goal": "maximize"},
            "search_space": {"x": {"type": "bool"}}, **extra}


def test_backend_settings_model_validates_its_section(with_plugins):
    def register_backends(register):
        register("myback", "builtins:dict", settings=ShipSettings)

    with_plugins(("ship", _plugin(register_backends=register_backends)))
    spec = validate_spec(_spec(backends={"myback": {"region": "eu-west-1", "instances": 2}}))
    assert spec.backends["myback"] == ShipSettings(region="eu-west-1", instances=2)
    assert spec.to_dict()["backends"] == {"myback": {"region": "eu-west-1", "instances": 2}}
    with pytest.raises(SpecError) as exc:
        validate_spec(_spec(backends={"myback": {"region": "Mars", "instnces": 0}}))
    assert [(p.path, p.message) for p in exc.value.problems] == [
        ("backends.myback.region", "String should match pattern '^[a-z]+-[a-z]+-\\d$'"),
        ("backends.myback.instnces", "unknown key (did you mean 'instances'?)"),
    ]
    with pytest.raises(SpecError) as exc:
        validate_spec(_spec(backends={"myback": None}))
    assert [p.path for p in exc.value.problems] == ["backends.myback.region"]


def test_plugin_whose_hook_raises_is_reported_and_others_load(with_plugins):
    def register_searchers(register):
        raise RuntimeError("cannot reach licence server")

    def register_contracts(register):
        register("mine", "builtins:dict", description="works")

    reg = with_plugins(("bad", _plugin(register_searchers=register_searchers)),
                       ("good", _plugin(register_contracts=register_contracts)))
    assert [(f.plugin, f.error) for f in reg.failures] == [
        ("bad", "RuntimeError: cannot reach licence server")]
    assert reg.get("contracts", "mine").plugin == "good"
    assert "random" in reg.names("searchers")


def test_registry_knows_every_kind_and_builds_components_lazily():
    reg = registry()
    assert set(reg.components) == set(KINDS)
    comp = reg.require("searchers", "random")
    assert isinstance(comp.factory, str)  # not imported until used
    with pytest.raises(KeyError, match="unknown searcher 'nope' \\(available: random"):
        reg.require("searchers", "nope")


def test_validating_a_spec_imports_no_component(tmp_path):
    code = textwrap.dedent("""
        import sys
        from hpo_bridge.spec import validate_spec
        validate_spec({"name": "s", "objective": {"metric": "m", "goal": "maximize"},
                       "search_space": {"x": {"type": "bool"}},
                       "strategy": {"algorithm": "bayesian"}})
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("optuna", "scipy")
                     or m.startswith("hpo_bridge.core.searchers.")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


# -- import cost of the training-script helper ---------------------------------------------
def test_report_imports_nothing_heavy():
    code = textwrap.dedent("""
        import sys
        import hpo_bridge
        hpo_bridge.report(a=1)
        heavy = ("pydantic", "optuna", "yaml", "typer", "rich", "numpy", "scipy", "pluggy")
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.splitlines() == ['@@hpo-bridge:report@@ {"a":1}', "[]"]
