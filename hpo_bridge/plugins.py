"""The plugin manager: built-ins and entry-point plugins, registered through one set of hooks."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from hpo_bridge import hookspecs
from hpo_bridge.spec.catalogue import Catalogue

KINDS = ("backends", "executors", "searchers", "stopping_rules", "contracts", "formats")
ENTRY_POINT_GROUP = "hpo_bridge"
BUILTIN_DIST = "hpo-bridge"


def _resolve(ref: str) -> Any:
    """Import "module:attribute.path"."""
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass
class Component:
    kind: str
    name: str
    factory: Callable[..., Any] | str
    plugin: str
    distribution: str
    description: str = ""
    # The backend's settings model, or "module:Attr" imported on first use.
    settings_ref: Any = None

    @property
    def settings(self) -> Any:
        if isinstance(self.settings_ref, str):
            self.settings_ref = _resolve(self.settings_ref)
        return self.settings_ref

    def load(self) -> Callable[..., Any]:
        """The factory, importing it on first use when given as "module:attribute"."""
        if isinstance(self.factory, str):
            resolved: Callable[..., Any] = _resolve(self.factory)
            self.factory = resolved
            return resolved
        return self.factory

    def create(self, *args: Any, **kwargs: Any) -> Any:
        return self.load()(*args, **kwargs)


@dataclass
class LoadFailure:
    plugin: str
    distribution: str
    error: str


@dataclass
class Registry:
    components: dict[str, dict[str, Component]] = field(
        default_factory=lambda: {k: {} for k in KINDS}
    )
    failures: list[LoadFailure] = field(default_factory=list)
    manager: pluggy.PluginManager | None = None

    def names(self, kind: str) -> list[str]:
        return list(self.components[kind])

    def get(self, kind: str, name: str) -> Component | None:
        return self.components[kind].get(name)

    def catalogue(self) -> Catalogue:
        """What spec validation needs to know of the installed components (names, and each
        backend's settings model, imported only when a spec uses that backend). An executor
        with settings (ray) keeps them under `backends.<name>` too: one place for plugins'
        settings."""
        sections = {name: _settings_loader(comp)
                    for name, comp in self.components["backends"].items()}
        for name, comp in self.components["executors"].items():
            if comp.settings_ref is not None:
                sections.setdefault(name, _settings_loader(comp))
        return Catalogue(
            searchers=tuple(self.names("searchers")),
            stopping_rules=tuple(self.names("stopping_rules")),
            contracts=tuple(self.names("contracts")),
            executors=tuple(self.names("executors")),
            backends=sections,
            contract_checks={name: _contract_check_loader(comp)
                             for name, comp in self.components["contracts"].items()},
        )

    def require(self, kind: str, name: str) -> Component:
        comp = self.get(kind, name)
        if comp is None:
            label = kind.rstrip("s").replace("_", " ")
            raise KeyError(f"unknown {label} {name!r} (available: {', '.join(self.names(kind))})")
        return comp


def _settings_loader(component: Component) -> Callable[[], Any]:
    return lambda: component.settings


def _contract_check_loader(component: Component) -> Callable[[], Any]:
    """The contract's `spec_problems`, imported when a spec names that contract."""
    return lambda: getattr(component.load(), "spec_problems", None)


_registry: Registry | None = None


def _builtin_modules() -> list[str]:
    return ["hpo_bridge.builtins"]


def _collect(registry: Registry, pm: pluggy.PluginManager, dists: dict[str, str]) -> None:
    """Call every plugin's register hooks, attributing each component to its plugin."""
    for kind in KINDS:
        hook = getattr(pm.hook, f"register_{kind}")
        # In registration order (built-ins first), so a later plugin's component of the
        # same name wins.
        for impl in hook.get_hookimpls():
            plugin, dist = impl.plugin_name, dists.get(impl.plugin_name, "?")

            def register(comp_name: str, factory: Callable[..., Any] | str, *,
                         description: str = "", settings: Any = None,
                         _kind: str = kind, _plugin: str = plugin, _dist: str = dist) -> None:
                registry.components[_kind][comp_name] = Component(
                    _kind, comp_name, factory, _plugin, _dist, description, settings)

            try:
                impl.function(register=register)
            except Exception as exc:  # a broken plugin must not break the others
                registry.failures.append(
                    LoadFailure(plugin, dist, f"{type(exc).__name__}: {exc}"))


def build_registry(extra_plugins: list[tuple[str, object]] | None = None) -> Registry:
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    registry = Registry(manager=pm)
    dists: dict[str, str] = {}
    for module_name in _builtin_modules():
        pm.register(importlib.import_module(module_name), name=module_name)
        dists[module_name] = BUILTIN_DIST
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "?"
        if dist == BUILTIN_DIST:
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:
            registry.failures.append(LoadFailure(ep.name, dist, f"{type(exc).__name__}: {exc}"))
            continue
        dists[ep.name] = dist
    for name, plugin in extra_plugins or []:
        pm.register(plugin, name=name)
        dists[name] = "<runtime>"
    _collect(registry, pm, dists)
    return registry


def registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _registry
    if _registry is None:
        _registry = build_registry()
    return _registry


def reset_registry(extra_plugins: list[tuple[str, object]] | None = None) -> Registry:
    """Rebuild the registry (tests, or after installing a plugin at run time)."""
    global _registry
    importlib.invalidate_caches()
    _registry = build_registry(extra_plugins)
    return _registry


def register_commands(cli: Any) -> None:
    """Let every plugin add commands; a failing one is reported, not fatal."""
    reg = registry()
    assert reg.manager is not None
    for impl in reg.manager.hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as exc:
            print(f"warning: plugin {impl.plugin_name} failed to add commands: {exc}",
                  file=sys.stderr)
