"""The Ray executor's pieces that need no cluster: its settings in a spec, the spec as a node
sees it, the code package, the flags of `run`, and an address where no cluster answers."""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_bridge.executors.raycluster.codezip import code_zip, zip_bytes
from hpo_bridge.executors.raycluster.nodespec import node_spec
from hpo_bridge.executors.raycluster.settings import RaySettings, parse_bytes
from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import SpecError


def _spec(ray: dict | None = None, **trial):
    data = {
        "name": "demo",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"}},
        "trial": {"command": ["python", "train.py"], **trial},
    }
    if ray is not None:
        data["backends"] = {"ray": ray}
    return data


# -- backends.ray ----------------------------------------------------------------------------
def test_backends_ray_is_validated_by_the_executors_model(tmp_path):
    spec = validate_spec(_spec({"num_gpus": 0.5, "memory": "2GiB", "resources": {"slot": 1},
                                "scheduling": "spread", "orphan_timeout": "2m"}),
                         base_dir=tmp_path)
    settings = spec.backends["ray"]
    assert isinstance(settings, RaySettings)
    assert settings.actor_options() == {"num_cpus": 1.0, "num_gpus": 0.5,
                                        "memory": 2 * 1024**3, "resources": {"slot": 1.0}}
    assert settings.request() == {"CPU": 1.0, "GPU": 0.5, "slot": 1.0,
                                  "memory": float(2 * 1024**3)}
    assert settings.orphan_timeout == 120.0


@pytest.mark.parametrize(("ray", "line"), [
    ({"num_gpus": 1.5}, "backends.ray.num_gpus: num_gpus: above 1 a resource is taken whole"),
    ({"num_cpus": -1}, "backends.ray.num_cpus: num_cpus: must be a number >= 0"),
    ({"resources": {"GPU": 1}}, "backends.ray.resources: GPU: use num_gpus"),
    ({"memory": "lots"}, "backends.ray.memory: 'lots' is not a size"),
    ({"runtime_env": {"working_dir": "."}},
     "backends.ray.runtime_env: working_dir: hpo-bridge ships trial.code"),
    ({"num_cpus": 0}, "backends.ray: a trial must ask for something"),
    ({"scheduling": "pack"}, "backends.ray.scheduling:"),
    ({"adress": "x:1"}, "backends.ray.adress: unknown key"),
])
def test_bad_ray_settings_are_one_line_each(tmp_path, ray, line):
    with pytest.raises(SpecError) as caught:
        validate_spec(_spec(ray), base_dir=tmp_path)
    lines = caught.value.render().splitlines()
    assert len(lines) == 1 and line in lines[0], lines


def test_unknown_sections_name_ray_among_the_known_ones(tmp_path):
    data = _spec()
    data["backends"] = {"rayy": {}}
    with pytest.raises(SpecError) as caught:
        validate_spec(data, base_dir=tmp_path)
    assert "ray" in caught.value.render().split("installed:")[1]


@given(st.integers(min_value=1, max_value=10**15),
       st.sampled_from([("", 1), ("b", 1), ("k", 1000), ("KB", 1000), ("Ki", 1024),
                        ("KiB", 1024), ("M", 1000**2), ("MiB", 1024**2), ("G", 1000**3),
                        ("GiB", 1024**3), ("t", 1000**4)]))
def test_sizes_parse_to_bytes(number, unit):
    suffix, factor = unit
    assert parse_bytes(f"{number}{suffix}") == number * factor
    assert parse_bytes(f" {number} {suffix} ") == number * factor


@given(st.text(max_size=12))
def test_anything_else_is_refused_or_a_positive_whole_size(text):
    try:
        size = parse_bytes(text)
    except ValueError:
        return
    assert isinstance(size, int) and size >= 1


# -- the spec on a node -------------------------------------------------------------------------
def test_node_spec_moves_the_code_and_what_lies_inside_it(tmp_path):
    (tmp_path / "src" / "data").mkdir(parents=True)
    spec = validate_spec(_spec(code="src", python="src/venv/bin/python",
                               inputs={"train": "src/data", "shared": "/mnt/shared/x"}),
                         base_dir=tmp_path)
    node = node_spec(spec, Path("/ray/wd"))
    assert node.code_dir == Path("/ray/wd")
    assert node.trial.inputs == {"train": "/ray/wd/data", "shared": "/mnt/shared/x"}
    assert node.trial.python == "/ray/wd/venv/bin/python"
    assert (node.name, node.search_space) == (spec.name, spec.search_space)


# -- the code package ----------------------------------------------------------------------------
def test_code_zip_ships_the_packagers_files_and_is_deterministic(tmp_path):
    code = tmp_path / "code"
    for name in ("train.py", "pkg/model.py", ".git/HEAD", "pkg/__pycache__/m.pyc",
                 ".venv/bin/python", "stale.pyc"):
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        (code / name).write_text(name)
    (code / "train.py").chmod(0o755)
    first = zip_bytes(code)
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == ["train.py", "pkg/model.py"]  # the packager's order
    modes = {i.filename: (i.external_attr >> 16) & 0o777
             for i in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert modes == {"pkg/model.py": 0o644, "train.py": 0o755}
    (code / "pkg/model.py").touch()  # a new mtime changes nothing
    assert zip_bytes(code) == first
    path = code_zip(code, tmp_path / "cache")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(first).hexdigest()
    assert code_zip(code, tmp_path / "cache") == path


# -- the command ---------------------------------------------------------------------------------
def _write(tmp_path: Path, ray: dict | None = None, **trial) -> Path:
    import yaml

    (tmp_path / "train.py").write_text("print(1)\n")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(_spec(ray, **trial)))
    return path


@pytest.mark.parametrize(("args", "trial", "line"), [
    (["--ray-address", "127.0.0.1:1"], {},
     "--ray-address: no Ray cluster answers at 127.0.0.1:1"),
    (["--ray-address", "nonsense"], {}, "--ray-address: 'nonsense' is not HOST:PORT"),
    ([], {"devices": [0, 1]}, "trial.devices: not used on a Ray cluster"),
    ([], {"command": ["python", "missing.py"]}, "trial.command: script missing.py not found"),
])
def test_ray_user_errors_are_one_line_and_leave_no_study(cli_exe, tmp_path, args, trial, line):
    spec = _write(tmp_path, **trial)
    study = tmp_path / "study"
    done = subprocess.run([str(cli_exe), "run", str(spec), "--study-dir", str(study),
                           "--executor", "ray", *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(line), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not study.exists()


def test_the_spec_address_is_named_when_it_is_the_one_used(cli_exe, tmp_path):
    spec = _write(tmp_path, {"address": "127.0.0.1:1"})
    done = subprocess.run([str(cli_exe), "run", str(spec), "--study-dir",
                           str(tmp_path / "s"), "--executor", "ray"],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr.strip()) == (
        2, "backends.ray.address: no Ray cluster answers at 127.0.0.1:1 (Connection refused)")


def test_the_spec_schema_describes_backends_ray():
    from hpo_bridge.loading import spec_schema

    ray = spec_schema()["properties"]["backends"]["properties"]["ray"]
    assert {"address", "num_cpus", "num_gpus", "memory", "resources", "runtime_env",
            "scheduling"} <= set(ray["properties"])
    assert ray["additionalProperties"] is False
