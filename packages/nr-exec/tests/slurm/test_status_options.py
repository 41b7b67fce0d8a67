"""sacct/squeue parsing, failure reasons, exit-marker fallback, sbatch option lists."""

from collections.abc import Sequence

from nr_exec.slurm.options import FALLBACK_OPTIONS, ClusterInfo, parse_help
from nr_exec.slurm.status import parse_status
from nr_exec.slurm.transfer import parse_submit, probe_command
from nr_exec.states import FailureReason, JobState, JobStatus

MARKER = '{"version": 1, "exit_code": 0, "writer": "sbatch", "retries": 1}'


def _output(sacct_rc: int, rows: str, squeue: str = "", markers: str = "", index: str = "") -> str:
    text = f"@@sacct {sacct_rc}\n{rows}\n@@squeue\n{squeue}\n"
    return text + f"@@markers\n{markers}\n@@index\n{index}\n"


def _known(output: str, job_ids: Sequence[str]) -> dict[str, JobStatus]:
    """parse_status for jobs that must all be known."""
    found = parse_status(output, job_ids)
    known = {job_id: status for job_id, status in found.items() if status is not None}
    assert known.keys() == found.keys(), f"unknown: {set(found) - set(known)}"
    return known


def test_sacct_states_and_reasons() -> None:
    rows = "\n".join(
        [
            "1|COMPLETED|0:0|None",
            "2|FAILED|3:0|NonZeroExitCode",
            "3|TIMEOUT|0:15|TimeLimit",
            "4|OUT_OF_MEMORY|0:125|None",
            "5|NODE_FAIL|0:0|None",
            "6|PREEMPTED|0:15|None",
            "7|CANCELLED by 0|0:0|None",
            "8|PENDING|0:0|Dependency",
            "9|REQUEUED|0:0|None",
            "9|RUNNING|0:0|None",
        ]
    )
    found = _known(_output(0, rows, index="10"), [str(i) for i in range(1, 11)])
    assert found["1"].state is JobState.SUCCEEDED
    assert (found["2"].state, found["2"].reason, found["2"].exit_code) == (
        JobState.FAILED,
        FailureReason.USER_ERROR,
        3,
    )
    assert found["3"].reason is FailureReason.TIMEOUT
    assert found["4"].reason is FailureReason.OOM
    assert found["5"].reason is FailureReason.NODE_FAIL
    assert found["6"].reason is FailureReason.PREEMPTED
    assert found["7"].state is JobState.CANCELLED
    assert found["8"].state is JobState.PENDING
    assert "Dependency" in found["8"].message
    assert found["9"].state is JobState.RUNNING
    assert found["9"].retries == 1
    assert found["10"].state is JobState.UNKNOWN  # in the job index, gone from sacct


def test_a_job_nothing_knows_is_none() -> None:
    found = parse_status(_output(0, "1|COMPLETED|0:0|None", index="1 2"), ["1", "3", "4_0"])
    assert found["1"] is not None
    assert found["3"] is None
    assert found["4_0"] is None


def test_arrays_and_het_components() -> None:
    rows = (
        "20_0|COMPLETED|0:0|None\n20_1|RUNNING|0:0|None\n20_[2-5%2]|PENDING|0:0|JobArrayTaskLimit\n"
    )
    rows += "30+0|COMPLETED|0:0|None\n30+1|FAILED|1:0|None"
    found = _known(_output(0, rows, index="20"), ["20_0", "20_1", "20_4", "20_9", "30"])
    assert found["20_0"].state is JobState.SUCCEEDED
    assert found["20_1"].state is JobState.RUNNING
    assert found["20_4"].state is JobState.PENDING
    assert found["20_9"].state is JobState.UNKNOWN
    assert found["30"].state is JobState.FAILED


def test_squeue_fallback_and_markers() -> None:
    squeue = "40|RUNNING|None\n41_2|PENDING|Priority"
    markers = f".jobs/42/exit.json:{MARKER}\n.jobs/43/elements/1/exit.json:{MARKER}"
    found = _known(
        _output(1, "sacct: error: accounting storage is disabled", squeue, markers, "44"),
        ["40", "41_2", "42", "43_1", "44"],
    )
    assert found["40"].state is JobState.RUNNING
    assert found["41_2"].state is JobState.PENDING
    assert found["42"].state is JobState.SUCCEEDED
    assert found["42"].retries == 1
    assert found["43_1"].state is JobState.SUCCEEDED
    assert found["44"].state is JobState.UNKNOWN
    assert "accounting" in found["44"].message


def test_marker_wins_over_running_and_gives_exit_code() -> None:
    rows = "50|RUNNING|0:0|None\n51|FAILED|0:0|None"
    markers = f".jobs/50/exit.json:{MARKER}\n.jobs/51/exit.json:" + MARKER.replace(
        '"exit_code": 0', '"exit_code": 4'
    )
    found = _known(_output(0, rows, markers=markers), ["50", "51"])
    assert found["50"].state is JobState.SUCCEEDED
    assert (found["51"].state, found["51"].exit_code) == (JobState.FAILED, 4)


def test_parse_help_and_cluster_info() -> None:
    text = "Usage: sbatch\n  -A, --account=name   x\n      --bb=<spec>  y\n      --container-image=img  pyxis\n"
    assert parse_help(text) == {"account", "bb", "container-image"}
    info = ClusterInfo.parse(text, "MaxArraySize            = 77\n")
    assert info.max_array_size == 77
    assert "container-image" in info.options
    assert info.options >= FALLBACK_OPTIONS
    assert ClusterInfo.parse("", "").max_array_size == 1001


def test_probe_and_submit_parsing() -> None:
    assert "sbatch --help" not in probe_command("/r", [], cluster=False)
    ids, failure = parse_submit("@@job 0 12\n@@job 1 13\n@@failed 2 bad option\n")
    assert ids == {0: "12", 1: "13"}
    assert failure == "2 bad option"


def test_accounting_lagging_behind_the_controller() -> None:
    """sacct still says PENDING/RUNNING for a job squeue (or its marker) shows ended."""
    rows = "60|PENDING|0:0|None\n61|RUNNING|0:0|None\n62|PENDING|0:0|None\n63|FAILED|2:0|None"
    squeue = "60|COMPLETED|None\n61|FAILED|NonZeroExitCode\n63|FAILED|None"
    markers = f".jobs/62/exit.json:{MARKER}\n.jobs/61/exit.json:" + MARKER.replace(
        '"exit_code": 0', '"exit_code": 5'
    )
    found = _known(_output(0, rows, squeue, markers), ["60", "61", "62", "63"])
    assert found["60"].state is JobState.SUCCEEDED
    assert (found["61"].state, found["61"].exit_code) == (JobState.FAILED, 5)
    assert found["62"].state is JobState.SUCCEEDED
    assert (found["63"].state, found["63"].exit_code) == (JobState.FAILED, 2)


def test_marker_of_an_attempt_before_a_requeue_is_not_the_end() -> None:
    rows = "70|COMPLETED|0:0|None\n70|PENDING|0:0|None\n70|REQUEUED|0:0|None"
    old_marker = MARKER.replace('"retries": 1', '"retries": 0')
    found = _known(_output(0, rows, markers=f".jobs/70/exit.json:{old_marker}"), ["70"])
    assert found["70"].state is JobState.PENDING
    assert found["70"].retries == 2
