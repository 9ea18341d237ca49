"""Tuning job names: any valid spec name gives a valid SageMaker name."""

from __future__ import annotations

import re

from hpo_bridge_sagemaker.naming import derive_job_name, is_valid_job_name, name_rules
from hpo_bridge_sagemaker.service_model import pattern_matches
from hypothesis import given
from hypothesis import strategies as st

SPEC_NAMES = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,126}[A-Za-z0-9])?", fullmatch=True)
SUFFIXES = st.from_regex(r"[0-9a-f]{8}", fullmatch=True)


def test_rules_come_from_the_service_model():
    assert name_rules() == (32, "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")


@given(SPEC_NAMES, SUFFIXES)
def test_any_spec_name_gives_a_valid_job_name(name, suffix):
    job = derive_job_name(name, suffix)
    longest, pattern = name_rules()
    assert len(job) <= longest and pattern_matches(pattern, job)
    assert job.endswith("-" + suffix)
    # The start of the spec's name is kept, as much as fits.
    kept = job[: -len(suffix) - 1]
    assert name.startswith(kept)


@given(SPEC_NAMES)
def test_short_names_are_kept_whole(name):
    if len(name) <= 32:
        assert derive_job_name(name) == name


def test_examples():
    assert derive_job_name("pytorch-mnist-custom-hpo", "0123abcd") == (
        "pytorch-mnist-custom-hp-0123abcd")
    assert derive_job_name("a" * 22 + "-b", "0123abcd") == "a" * 22 + "-0123abcd"
    assert derive_job_name("---", "") == "hpo"
    assert not is_valid_job_name("ends-with-")
    assert not is_valid_job_name("x" * 33)
    assert not re.fullmatch(r".*--$", derive_job_name("ab--cd--" + "e" * 40, "1"))
