"""examples/ray/ runs with the commands of its README: a local cluster of two nodes started
by the example, the quickstart's study on it, the cluster stopped again."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ray_helpers import results, trial_processes

REPO = Path(__file__).resolve().parents[2]
README = REPO / "examples" / "ray" / "README.md"


def _commands() -> list[str]:
    """The first code block of the example's README: the commands a user runs."""
    block = re.search(r"```\n(.*?)```", README.read_text(), re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_examples_readme_commands_run_a_study_on_a_local_cluster(tmp_path):
    state = tmp_path / "cluster.json"
    bin_dir = Path(sys.executable).parent
    venv = str(bin_dir.parent)
    shell = []
    for line in _commands():
        line = line.replace(".venv", venv).replace("studies/ray-demo", str(tmp_path / "demo"))
        if "local_cluster.py" in line:  # a cluster of this test's own, not the user's
            line = re.sub(r"local_cluster\.py (start|address|stop)",
                          rf"local_cluster.py \1 --state {state}", line)
        shell.append(line)
    script = "set -e\n" + "\n".join(shell) + "\n"
    assert script.count("local_cluster.py") == script.count("--state") == 3
    try:
        done = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True,
                              text=True, timeout=280)
    finally:  # whatever happened, no cluster of this test outlives it
        if state.exists():
            subprocess.run([sys.executable, "examples/ray/local_cluster.py", "stop",
                            "--state", str(state)], cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Ray cluster of 2 nodes at " in done.stdout
    assert done.stdout.rstrip().endswith("Ray cluster stopped")
    study = tmp_path / "demo"
    trials = results(study)
    assert len(trials) == 8
    assert {t["status"] for t in trials} <= {"completed", "stopped"}
    nodes = {json.loads((study / "trials" / str(t["id"]) / "node.json").read_text())["node_id"]
             for t in trials}
    assert len(nodes) == 2  # both nodes ran trials
    assert '"node_id"' in done.stdout  # `cat .../node.json` of the README
    assert "==> stdout.log <==" in done.stdout  # `hpo-bridge logs` of the README
    assert not state.exists()
    key = json.loads((study / "ray.json").read_text())["study_key"]
    assert trial_processes(Path(tempfile.gettempdir()) / "hpo-bridge-trials" / key) == []
