"""examples/azure/README.md's commands, read from its code blocks and run as written: the
emulator as `hpo-bridge emulate azure --port 0` (its printed variables exported, as the
README says), then every `hpo-bridge` line in order, from a copy of the example folder."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from azure_helpers import AZURE_PREFIXES

pytest.importorskip("hpo_bridge_localstack.testing")  # the emulator runs the jobs

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "azure"
HPO = [sys.executable, "-c", "from hpo_bridge.cli import main; main()"]
ROW = re.compile(r"^\s+(\d+)\s+\S", re.MULTILINE)  # a trial's row in `results`


def readme_commands(text: str) -> list[list[str]]:
    """The shell commands of the README's ```sh blocks: continuation lines joined, comments
    and a trailing `&` dropped, each as argv words."""
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[-1] == "&":
                words.pop()
            if words:
                commands.append(words)
    return commands


def test_the_readme_lists_commands_the_test_understands():
    commands = readme_commands((EXAMPLE / "README.md").read_text())
    assert [" ".join(c[:1] if c[0] == "export" else c[:2]) for c in commands] == [
        "hpo-bridge run", "hpo-bridge emulate", "export", "hpo-bridge compile",
        "hpo-bridge run", "hpo-bridge results", "hpo-bridge logs", "hpo-bridge run",
        "hpo-bridge cancel"]
    assert commands[1] == ["hpo-bridge", "emulate", "azure", "--port", "8443"]


def test_the_readme_commands_run_offline_as_written(azure_process, tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(EXAMPLE, work / "examples" / "azure")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(AZURE_PREFIXES) and k != "REQUESTS_CA_BUNDLE"}
    ran: dict[str, list[subprocess.CompletedProcess[str]]] = {}
    for words in readme_commands((EXAMPLE / "README.md").read_text()):
        if words[0] == "export":
            # the README names exactly the variables the emulator prints; their values are
            # the running emulator's (its port and CA file)
            named = {word.split("=", 1)[0] for word in words[1:]}
            assert named == set(azure_process.env()), named ^ set(azure_process.env())
            env.update(azure_process.env())
            continue
        assert words[0] == "hpo-bridge", words
        if words[1] == "emulate":  # started once per session with --port 0: its env is read
            assert words[2:4] == ["azure", "--port"], words
            continue
        done = subprocess.run([*HPO, *words[1:]], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, (words, done.stderr[-3000:])
        ran.setdefault(words[1], []).append(done)

    local_run, sweep_run, detached = ran["run"]
    assert "study finished" in local_run.stdout + local_run.stderr
    assert "--detach" in detached.args
    sweep = yaml.safe_load(ran["compile"][0].stdout)
    assert sweep["type"] == "sweep"
    assert "${{search_space.learning_rate}}" in sweep["trial"]["command"]
    assert sorted(map(int, ROW.findall(ran["results"][0].stdout))) == [1, 2, 3, 4, 5, 6]
    log = ran["logs"][0].stdout.splitlines()
    assert re.fullmatch(r"5 samples; sweep value \S+", log[0]), log
    assert ran["cancel"][0].stdout.startswith("stopping azure-sweep-example-")
