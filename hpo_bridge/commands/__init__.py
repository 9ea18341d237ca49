"""Sub-commands of `hpo-bridge`, one module per group; each exposes `register(app)`.

cli.py calls `register(app)` of every module listed in MODULES, in order.
"""

MODULES = [
    "hpo_bridge.commands.spec_commands",
    "hpo_bridge.commands.native",
    "hpo_bridge.commands.study",
    "hpo_bridge.commands.logs",
    "hpo_bridge.commands.report",
    "hpo_bridge.commands.ci",
    "hpo_bridge.commands.export",
]
