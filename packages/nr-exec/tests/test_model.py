"""Handles, states, job specs and capabilities: the plain-data part of nr_exec."""

import json

import nr_config
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nr_exec import (
    Capabilities,
    FailureReason,
    Handle,
    HandleError,
    JobFile,
    JobSpec,
    JobState,
    JobStatus,
    Mount,
    Resources,
)

segment = st.text(
    st.characters(blacklist_categories=("Cs", "Z", "Cc"), blacklist_characters="/:"), min_size=1
)


@given(
    backend=st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
    cluster=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), max_size=20
    ),
    job_id=st.lists(segment, min_size=1, max_size=3).map("/".join),
)
def test_handle_round_trips(backend: str, cluster: str, job_id: str) -> None:
    handle = Handle(backend, cluster.strip(), job_id)
    assert Handle.parse(str(handle)) == handle


@pytest.mark.parametrize(
    "text", ["", "local:/host/id", "local://host", "local://host/", "Local://h/i", "local://h/a b"]
)
def test_handle_parse_rejects(text: str) -> None:
    with pytest.raises(HandleError, match="handle"):
        Handle.parse(text)


def test_handle_is_hashable_and_printable() -> None:
    handle = Handle.parse("slurm://cluster-a/12345")
    assert str(handle) == "slurm://cluster-a/12345"
    assert {handle: 1}[Handle("slurm", "cluster-a", "12345")] == 1


def test_terminal_states() -> None:
    terminal = {s for s in JobState if s.is_terminal}
    assert terminal == {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}
    status = JobStatus(JobState.FAILED, reason=FailureReason.OOM, exit_code=137)
    assert status.is_terminal
    assert not JobStatus(JobState.UNKNOWN).is_terminal


def _spec() -> JobSpec:
    return JobSpec(
        name="train",
        job_id="train-1",
        argv=("python", "-m", "x", "a b"),
        job_dir="/tmp/jobs/train-1",
        env={"A": "1"},
        resources=Resources(nodes=2, ntasks_per_node=4, gpus_per_node=8, mem="16G"),
        mounts=(Mount("/data", "/mnt/data", readonly=True),),
        files=(JobFile("scripts/x.sh", "echo hi\n", executable=True),),
        dependencies=("local://h/other",),
        metadata={"k": [1, 2]},
    )


def test_spec_json_round_trip() -> None:
    spec = _spec()
    text = spec.to_json()
    assert json.loads(text)["resources"]["gpus_per_node"] == 8
    assert JobSpec.from_json(text) == spec
    assert spec.exit_marker == "/tmp/jobs/train-1/exit.json"


def test_spec_round_trips_through_nr_config() -> None:
    spec = _spec()
    text = nr_config.dumps_json(nr_config.to_config(spec))
    assert nr_config.build(nr_config.loads_json(text)) == spec


def test_spec_is_frozen() -> None:
    with pytest.raises(AttributeError):
        _spec().name = "other"  # type: ignore[misc]


def test_capability_names() -> None:
    assert Capabilities(detach=True, gpus=True).names() == ["detach", "gpus"]
    assert Capabilities().names() == []
