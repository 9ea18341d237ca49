"""A cloud with no warm start reports it through its capability table (issue 13, item 4):
the fake cloud of the conformance kit stands for such a cloud."""

from __future__ import annotations

import pytest

from hpo_bridge.backends import UnsupportedFeatures, spec_features
from hpo_bridge.backends.testing.fake import FakeBackend
from hpo_bridge.spec import validate_spec


def spec(**extra):
    return validate_spec({
        "name": "w", "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": {"x": {"type": "float", "low": 0, "high": 1}}, **extra})


def test_spec_features_name_the_warm_start_and_its_type():
    used = [(u.key, u.path, u.value) for u in spec_features(
        spec(warm_start={"from": ["job-a", "job-b"], "type": "transfer"}))]
    assert ("warm_start", "warm_start.from", "job-a, job-b") in used
    assert ("warm_start.type=transfer", "warm_start.type", "transfer") in used
    assert not [u for u in spec_features(spec()) if u.key.startswith("warm_start")]


def test_a_cloud_without_warm_start_refuses_it_with_the_nearest_option():
    with pytest.raises(UnsupportedFeatures) as exc:
        FakeBackend().compile(spec(warm_start={"from": ["job-a"]}))
    assert str(exc.value).splitlines() == [
        "fake: warm_start.from: warm start from job-a (not supported; nearest: a new job"
        " without earlier trials (or run it on the local backend))"]
    approximated = FakeBackend().compile(spec(warm_start={"from": ["job-a"]}), approximate=True)
    assert approximated.warnings == [
        "warm_start.from: warm start from job-a is approximated: the earlier trials are not used"]
