"""examples/ci/ (issue 13, item 5): the GitHub Actions workflow and the GitLab CI file are
valid against the schemas check-jsonschema ships (offline), and the workflow's own commands,
read from its YAML, run as two consecutive CI runs, each in a fresh `git clone` of this
repository, sharing nothing but the cached study directory: the second run continues the
first one's study.

What a runner provides is played here: `actions/checkout` is the clone, `actions/setup-python`
and the install step are this environment (the clone's own package is what runs:
PYTHONPATH), and `actions/cache/restore` / `save` copy the cached path to and from one
folder shared by the two runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "ci"
WORKFLOW = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"
PROVIDED = {"actions/checkout", "actions/setup-python"}  # played by the clone and this venv
INSTALL = "Install hpo-bridge"


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run([str(exe), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


def test_the_workflow_is_valid_against_githubs_schema():
    out = check_jsonschema("vendor.github-workflows", WORKFLOW)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_gitlab_file_is_valid_against_gitlabs_schema():
    out = check_jsonschema("vendor.gitlab-ci", GITLAB)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_broken_workflow_is_caught_by_the_schema(tmp_path):
    data = yaml.safe_load(WORKFLOW.read_text())
    data["jobs"]["tune"]["steps"][0]["uses"] = 3
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(data))
    assert check_jsonschema("vendor.github-workflows", broken).returncode == 1


def hpo_commands(script: str) -> list[str]:
    return [" ".join(line.split()) for line in script.splitlines()
            if line.strip().startswith("hpo-bridge ")]


def test_gitlab_runs_the_same_hpo_bridge_commands():
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["tune"]["steps"]
    github = [c for s in steps if "run" in s for c in hpo_commands(s["run"])]
    job = yaml.safe_load(GITLAB.read_text())["tune"]
    gitlab = [c for line in job["script"] + job["after_script"] for c in hpo_commands(line)]
    assert sorted(github) == sorted(gitlab)


class Runner:
    """One CI run of the workflow's job in a fresh clone."""

    def __init__(self, clone: Path, cache: Path, home: Path) -> None:
        self.clone, self.cache, self.home = clone, cache, home
        self.summaries: list[str] = []
        self.outputs: dict[str, subprocess.CompletedProcess[str]] = {}

    def env(self, summary: Path) -> dict[str, str]:
        bin_dir = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        env.update(CI="true", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(self.clone),
                   GITHUB_STEP_SUMMARY=str(summary), PYTHONPATH=str(self.clone),
                   PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", HOME=str(self.home),
                   COLUMNS="120")
        return env

    def step(self, index: int, step: dict[str, Any], failed: bool) -> bool:
        """Run one step as a runner would; False when it failed."""
        if failed and "always()" not in str(step.get("if", "")):
            return True  # skipped after an earlier failure, as GitHub does
        uses = str(step.get("uses", "")).split("@")[0]
        if uses in PROVIDED or step.get("name") == INSTALL:
            return True
        if uses == "actions/cache/restore":
            cached = self.cache / step["with"]["path"]
            if cached.exists():
                shutil.copytree(cached, self.clone / step["with"]["path"])
            return True
        if uses == "actions/cache/save":
            shutil.rmtree(self.cache / step["with"]["path"], ignore_errors=True)
            shutil.copytree(self.clone / step["with"]["path"], self.cache / step["with"]["path"])
            return True
        if uses == "actions/upload-artifact":
            paths = step["with"]["path"].split()
            return all((self.clone / p).exists() for p in paths)
        assert "run" in step, f"unplayed step {step}"
        summary = self.home / f"summary-{index}.md"
        summary.touch()
        out = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                              step["run"]], cwd=self.clone, env=self.env(summary),
                             capture_output=True, text=True, timeout=600)
        self.outputs[step.get("name", step["run"])] = out
        self.summaries.append(summary.read_text())
        return out.returncode == 0


def clone(dest: Path) -> Path:
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(dest)],
                   check=True, timeout=300)
    subprocess.run(["git", "-C", str(dest), "checkout", "--quiet", head], check=True)
    return dest


def ci_run(tmp_path: Path, n: int, cache: Path) -> Runner:
    home = tmp_path / f"home-{n}"
    home.mkdir()
    runner = Runner(clone(tmp_path / f"clone-{n}"), cache, home)
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["tune"]["steps"]
    failed = False
    for index, step in enumerate(steps):
        ok = runner.step(index, step, failed)
        failed = failed or not ok
    assert not failed, {name: (o.returncode, o.stdout[-2000:], o.stderr[-2000:])
                        for name, o in runner.outputs.items()}
    return runner


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs the repository's git history")
def test_two_ci_runs_from_fresh_clones_continue_one_study(tmp_path):
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["tune"]["steps"]
    assert INSTALL in [s.get("name") for s in steps]  # the one step this test does not run
    cache = tmp_path / "cache"
    cache.mkdir()
    first = ci_run(tmp_path, 1, cache)
    tune = first.outputs["Tune"]
    assert tune.stdout.startswith("study paused: --max-new-trials 4 reached"), tune.stdout
    gate = first.outputs["Gate"].stdout.splitlines()
    assert gate[-1] == "gate passed: 3 condition(s) met"
    second = ci_run(tmp_path, 2, cache)
    assert second.outputs["Tune"].stdout.startswith("study finished: max_trials (8) reached")
    study = second.clone / "studies" / "ci"
    results = json.loads(subprocess.run(
        [str(Path(sys.executable).with_name("hpo-bridge")), "results", str(study), "--json"],
        capture_output=True, text=True, check=True, env=second.env(tmp_path / "x.md")).stdout)
    trials = results["trials"]
    assert [t["id"] for t in trials] == list(range(1, 9))  # 1-4 from run 1, 5-8 from run 2
    from hpo_bridge.store import Store

    with Store.open(study) as store:
        sessions = [row[0] for row in store.conn.execute(
            "SELECT event FROM sessions ORDER BY seq")]
        assert store.get_meta("spec_dir") == str(second.clone / "examples" / "ci")
    assert sessions == ["started", "interrupted", "resumed", "ended"]
    # Each run's step summary has the study's Markdown; JUnit has one testcase per trial.
    assert first.summaries[0].startswith("## hpo-bridge: digits-sgd-ci (interrupted)")
    assert second.summaries[0].startswith("## hpo-bridge: digits-sgd-ci (finished)")
    assert "**Gate**: passed" in second.summaries[1]
    from junitparser import JUnitXml

    assert JUnitXml.fromfile(str(study / "junit.xml")).tests == 8
    assert (second.clone / "report.html").stat().st_size > 0
