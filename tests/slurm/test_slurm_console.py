"""What an attached run on the real Slurm says while it waits, piped (one line per change)."""

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from nr_config import Script
from nr_exec.slurm import SlurmExecutor
from nr_experiment import Experiment

pytestmark = [pytest.mark.slurm]


@pytest.mark.parametrize("tunnel", ["local"], indirect=True)
def test_a_piped_run_says_what_it_sends_and_why_a_job_waits(
    make: Callable[..., SlurmExecutor],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two jobs that each want the whole cluster: the second waits for the first's resources."""
    executor = make(exclusive=True, nodes=2)  # the testbed has two nodes
    with Experiment("slurm-console", executor=executor, base_dir=tmp_path) as exp:
        exp.add(Script(inline="sleep 6"), name="first")
        exp.add(Script(inline="echo second"), name="second")
        capsys.readouterr()
        exp.run(detach=False)
    said = [line.strip() for line in capsys.readouterr().err.splitlines()]
    assert [job.state for job in exp.jobs] == ["SUCCEEDED", "SUCCEEDED"]
    sending = [n for n, line in enumerate(said) if line.startswith("sending 2 jobs to slurm")]
    sent = [n for n, line in enumerate(said) if line.startswith("sent ")]
    assert len(sending) == len(sent) == 1, said
    assert sending[0] < sent[0], said
    # The second job waits for the first's nodes: Slurm says "Resources", or "Priority" when
    # the first is itself held up by other jobs on the cluster. A reason is said once.
    second = [line.split() for line in said if line.startswith("second ")]
    reasons = [words[2] for words in second if words[1] == "PENDING:"]
    assert set(reasons) & {"Resources", "Priority"}, said
    assert all(a != b for a, b in itertools.pairwise(second)), said  # no repeated line
