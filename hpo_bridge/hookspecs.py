"""The hooks through which every component of hpo-bridge is registered.

Built-in components and third-party plugins register through these same
hooks. A plugin is a module (or object) with functions marked `@hookimpl`,
exposed under the entry-point group ``hpo_bridge``::

    [project.entry-points.hpo_bridge]
    my_plugin = "my_package.plugin"

Each ``register_*`` hook receives a ``register`` callback. Components are
given as a factory: a callable, or a ``"module:attribute"`` string that is
imported only when the component is first used (so listing plugins or
validating a spec never imports optuna or a cloud SDK).
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("hpo_bridge")
hookimpl = pluggy.HookimplMarker("hpo_bridge")


@hookspec
def register_backends(register: Any) -> None:
    """Register native backends (a cloud's own tuner).

    ``register(name, factory, settings=Model, description="...")``: ``factory()``
    returns a ``hpo_bridge.backend.Backend``; ``settings`` is the pydantic model
    that validates ``backends.<name>`` in a spec (or its "module:Model" string,
    imported only when a spec uses the backend).
    """


@hookspec
def register_executors(register: Any) -> None:
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
def register_searchers(register: Any) -> None:
    """Register search algorithms, selectable as ``strategy.algorithm``.

    ``register(name, factory, description="...")``: ``factory(spec)`` returns a
    ``hpo_bridge.core.searchers.base.Searcher``.
    """


@hookspec
def register_stopping_rules(register: Any) -> None:
    """Register early-stopping rules, selectable as ``early_stopping.policy``.

    ``register(name, factory, description="...")``: ``factory(spec)`` returns a
    ``hpo_bridge.core.stopping.base.StoppingRule``.
    """


@hookspec
def register_contracts(register: Any) -> None:
    """Register trial contracts, selectable as ``trial.contract``.

    ``register(name, factory, description="...")``: ``factory()`` returns a
    ``hpo_bridge.contracts.base.TrialContract``.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add sub-commands to the ``hpo-bridge`` command (a ``typer.Typer``)."""
