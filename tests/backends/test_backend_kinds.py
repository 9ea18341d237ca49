"""A new kind of backend — neither local nor a cloud's tuner — registered through the hooks
by a throw-away distribution, runs through `hpo-bridge run` and is read back by `status`,
`results` and `best` with no change to the command."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

TABLE_PLUGIN = '''
"""A throw-away backend kind: it "runs" a study by replaying a table of results."""
from hpo_bridge.backends import Backend, Outcome, Store, Trial, TrialStatus
from hpo_bridge.hookspecs import hookimpl

ROWS = [0.2, 0.9, 0.5]


class TableBackend(Backend):
    name = "table"

    def run(self, spec, study_dir, options, view):
        store = Store.create(study_dir, spec)
        store.set_meta("backend", self.name)
        low = spec.search_space["lr"].low
        for i, value in enumerate(ROWS, start=1):
            store.upsert_trial(Trial(i, {"lr": low * i}, TrialStatus.COMPLETED, values=[value],
                                     metrics={spec.primary.metric: [value]}))
        store.set_status("finished", f"{len(ROWS)} rows replayed")
        store.commit()
        store.close()
        return Outcome("finished", f"{len(ROWS)} rows replayed")

    def resume(self, study_dir, view):
        return Outcome("finished", "nothing to resume")


@hookimpl
def register_backends(register):
    register("table", "hpob_table_plugin:TableBackend", description="replays a table")
'''


def _install(site: Path) -> None:
    (site / "hpob_table_plugin.py").write_text(TABLE_PLUGIN, encoding="utf-8")
    info = site / "hpo_bridge_table-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hpo-bridge-table\n"
                                   "Version: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[hpo_bridge]\ntable = hpob_table_plugin\n",
                                           encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")


def test_a_new_backend_kind_runs_through_the_unchanged_command(cli_exe, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install(site)
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent("""\
        name: replayed
        objective: {metric: accuracy, goal: maximize}
        search_space: {lr: {type: float, low: 0.001, high: 0.1}}
    """))
    env = {**os.environ, "PYTHONPATH": str(site)}

    def hpo(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(cli_exe), *args], capture_output=True, text=True, env=env,
                              timeout=120)

    study = tmp_path / "study"
    run = hpo("run", str(spec), "--backend", "table", "--study-dir", str(study))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:2] == [
        "study finished: 3 rows replayed", "best: trial 2 0.9 lr=0.002"]
    status = hpo("status", str(study))
    assert status.stdout.splitlines()[0] == "study replayed (table): finished - 3 rows replayed"
    results = json.loads(hpo("results", str(study), "--json").stdout)
    assert [t["objective"] for t in results["trials"]] == [0.2, 0.9, 0.5]
    assert json.loads(hpo("best", str(study), "--json").stdout)["best"]["id"] == 2
    # Options the kind does not take are refused naming the flag; nothing is created.
    other = tmp_path / "other"
    refused = hpo("run", str(spec), "--backend", "table", "--study-dir", str(other),
                  "--detach")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "--detach: not taken by backend table"
    assert not other.exists()
