"""The training toolkit's reading of hyperparameter strings, as properties."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from hpo_bridge.contracts import sagemaker_toolkit as toolkit

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@given(json_values)
def test_a_json_encoded_value_decodes_to_itself(value):
    assert toolkit.decode(json.dumps(value)) == value


@given(st.text())
def test_text_that_is_not_json_stays_itself(text):
    try:
        json.loads(text)
    except ValueError:
        assert toolkit.decode(text) == text


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(), max_size=6))
def test_argv_is_one_name_word_and_one_value_word_per_hyperparameter(hps):
    argv = toolkit.to_cmd_args(hps)
    names, values = argv[0::2], argv[1::2]
    assert names == [f"--{k}" if len(k) > 1 else f"-{k}" for k in sorted(hps)]
    assert values == [hps[k] for k in sorted(hps)]


@given(st.dictionaries(st.sampled_from(["sagemaker_program", "sagemaker_job_name",
                                        "_tuning_objective_metric", "sagemaker_custom",
                                        "lr", "epochs"]), json_values))
def test_the_platform_names_never_reach_the_script(decoded):
    user, framework = toolkit.split(decoded)
    assert set(user) == set(decoded) & {"lr", "epochs"}
    assert set(framework) == set(decoded) & {"sagemaker_custom"}


def test_values_in_argv_and_environment():
    hps = {"layers": [64, 32], "opts": {"b": 2, "a": 1}, "flag": False, "none": None}
    assert toolkit.to_cmd_args(hps) == ["--flag", "False", "--layers", "[64, 32]",
                                        "--none", "", "--opts", "a=1,b=2"]
    assert [toolkit.env_value(v) for v in hps.values()] == ['[64,32]', '{"a":1,"b":2}',
                                                             "false", ""]
    assert toolkit.env_key("hp_learning-rate") == "SM_HP_LEARNING-RATE"
