"""Only plain ASCII numbers are metric values (issue 10, item 12).

Python's float() reads full-width digits ('１２' -> 12.0) and underscores ('1_0' -> 10.0).
A regex such as `acc=(\\S+)` (or `(\\d+)`, whose \\d matches any Unicode digit) captures
them; so does a report line or a metric file holding text. Each such trial fails, its
reason naming the text that was not a number; a plain number next to it is read.
"""

from __future__ import annotations

from e2e_helpers import results, write_study

SCRIPT = """\
import json, sys
import hpo_bridge
from hpo_bridge._report import MARKER

channel, text = sys.argv[1].split("=", 1)[1].split(":", 1)
hpo_bridge.report(acc=0.25)  # a first, valid interval
if channel == "log":
    print(f"acc={text}")
elif channel == "report":
    print(MARKER + json.dumps({"acc": text}))
elif channel == "file":
    with open("acc.json", "w") as fh:
        json.dump({"acc": text}, fh)
"""

TEXTS = ["１２", "1_0", "٣", "12"]  # full-width, underscore, Arabic-Indic digit, plain


def _study(hpo, tmp_path, channels, contract="local"):
    modes = [f"{c}:{t}" for c in channels for t in TEXTS]
    spec = write_study(tmp_path / "job", SCRIPT, {
        "name": "numbers",
        "objective": {"metric": "acc", "goal": "maximize"},
        "metrics": [{"name": "acc", "regex": r"acc=(\S+)"}],
        "search_space": {"mode": {"type": "categorical", "values": modes}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_parallel": 4, "max_failed": len(modes)},
        "trial": {"command": ["python", "train.py"], "contract": contract},
    })
    study = tmp_path / "study"
    out = hpo("run", spec, "--study-dir", study)
    assert out.returncode == 0, out.stderr
    return {t["params"]["mode"]: (t["status"], t["reason"], t["metrics"])
            for t in results(hpo, study)}


def _expected(channel, before=(0.25,)):
    kept = {"acc": list(before)} if before else {}
    out = {f"{channel}:{text}": ("failed", f"metric 'acc' reported {text}, not a finite number",
                                 kept) for text in TEXTS[:3]}
    out[f"{channel}:12"] = ("completed", None, {"acc": [*before, 12.0]})
    return out


def test_log_and_report_lines(hpo, tmp_path):
    assert _study(hpo, tmp_path, ["log", "report"]) == {**_expected("log"),
                                                         **_expected("report")}


def test_a_metric_file(hpo, tmp_path):
    # Vega's contract reads only <objective>.json in the trial's folder (no report lines).
    got = _study(hpo, tmp_path, ["file"], contract="vega")
    assert got == _expected("file", before=())
