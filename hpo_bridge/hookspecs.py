"""The hooks through which every component of hpo-bridge is registered.

Built-in components and third-party plugins register through these same hooks (the
built-ins are `hpo_bridge.builtins`). A plugin is a module with functions marked
`@hookimpl`, exposed under the entry-point group ``hpo_bridge``::

    [project.entry-points.hpo_bridge]
    my_plugin = "my_package.plugin"

How the hooks are called: once per process, when the plugin registry is first built
(`hpo_bridge.plugins.registry()`), each plugin's implementation of each ``register_*``
hook is called with a ``register`` callback; every call of ``register`` adds one component,
attributed to that plugin and its distribution. Results do not combine: the hooks return
nothing, and when two plugins register the same name the one registered later wins (the
built-ins come first, then entry points in their installation order). A plugin whose hook
raises is reported by `hpo-bridge plugins` and skipped; the others still load.

Components are given as a factory: a callable, or a ``"module:attribute"`` string imported
only when the component is first used (so listing plugins or validating a spec imports
neither optuna nor a cloud SDK).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    import typer

hookspec = pluggy.HookspecMarker("hpo_bridge")
hookimpl = pluggy.HookimplMarker("hpo_bridge")

#: A factory: the callable itself, or "module:attribute" to import on first use.
Factory = Callable[..., Any] | str


class Register(Protocol):
    """The callback a ``register_*`` hook receives."""

    def __call__(self, name: str, factory: Factory, *, description: str = "") -> None:
        """Register the component `name`, made by `factory`; `description` is one line
        for `hpo-bridge plugins`."""


class RegisterBackend(Protocol):
    """The callback ``register_backends`` receives: a backend may bring a settings model."""

    def __call__(self, name: str, factory: Factory, *, description: str = "",
                 settings: Any = None) -> None:
        """Register backend `name`; `settings` is the pydantic model of ``backends.<name>``
        in a spec (or its "module:Model" string, imported when a spec uses the backend)."""


@hookspec
def register_backends(register: RegisterBackend) -> None:
    """Register backends: the places a study runs.

    ``factory()`` returns a ``hpo_bridge.backends.Backend``: a `NativeBackend` for a
    cloud's own tuner, or any other kind (the study facade and the CLI need no change).
    """


@hookspec
def register_executors(register: Register) -> None:
    """Register executors that run single trials for the core's tuner loop.

    ``register(name, factory, description="...", settings=Model)``:
    ``factory(spec, *, study_dir, contract, **options)`` returns a
    ``hpo_bridge.core.executor.Executor``; ``settings`` (optional) validates
    ``backends.<name>`` in a spec, as a backend's does. A factory may declare the `run`
    options it takes: ``run_options`` (a set of ``RunOptions`` field names, e.g.
    ``{"ray_address"}``) and ``options_from(spec, run_options) -> dict`` (its own options,
    recorded in the study's store so ``resume`` builds it the same way).
    """


@hookspec
def register_searchers(register: Register) -> None:
    """Register search algorithms, selectable as ``strategy.algorithm``.

    ``factory(spec)`` returns a ``hpo_bridge.core.searchers.base.Searcher``.
    """


@hookspec
def register_stopping_rules(register: Register) -> None:
    """Register early-stopping rules, selectable as ``early_stopping.policy``.

    ``factory(spec)`` returns a ``hpo_bridge.core.stopping.base.StoppingRule``.
    """


@hookspec
def register_contracts(register: Register) -> None:
    """Register trial contracts, selectable as ``trial.contract``.

    ``factory()`` returns a ``hpo_bridge.contracts.base.TrialContract``.
    """


@hookspec
def register_formats(register: Register) -> None:
    """Register other tools' configuration formats, usable as ``import FILE --from NAME``;
    `run` and `validate` take a file in a registered format as it is (the first format
    that recognises it), and ``export DIR --format NAME`` writes a study in its layout.

    ``factory()`` returns a ``hpo_bridge.formats.ConfigFormat``.
    """


@hookspec
def register_commands(cli: typer.Typer) -> None:
    """Add sub-commands to the ``hpo-bridge`` command.

    Called only when a command line may name a plugin's command (not for the built-in
    commands, nor for ``--version``), so a plugin's imports do not tax every invocation.
    A plugin whose hook raises is reported on stderr and skipped.
    """
