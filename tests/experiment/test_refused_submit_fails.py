"""A refused submission is a failure, not "in doubt" (issue 14, item 6).

On the real Slurm of the testbed: a non-git directory with the default
``GitArchivePackager``, a bad partition and an unreachable host (an ``SSHTunnel`` to a closed
port); on the real Docker engine: a missing extra (the ``docker`` SDK made unimportable in the
launcher). Each fails ``run()`` with one error line (no chained traceback), records the job
``FAILED`` with reason ``SUBMIT_ERROR``, and makes ``nemorun experiment status`` exit 1.
"""

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nr_experiment.store import Store

NEMORUN = str(Path(sys.executable).parent / "nemorun")

LAUNCH = """
import sys
import nemo_run as run

case, partition, host, port, user, key, known = sys.argv[1:]
tunnel = run.SSHTunnel(
    host=host, port=int(port), user=user, identity=key, known_hosts=known,
    job_dir="/tmp/nr-refused-test",
)
if case == "not-git":
    executor = run.SlurmExecutor(tunnel=tunnel, partition=partition)
else:
    executor = run.SlurmExecutor(
        tunnel=tunnel, packager=run.Packager(),
        partition="no-such-partition" if case == "bad-partition" else partition,
    )
with run.Experiment("refused") as exp:
    print(exp.id, flush=True)
    exp.add(run.Script(inline="echo hi"), executor=executor, name="job")
    exp.run(detach=True)
"""

MISSING_EXTRA = """
import sys

sys.modules["docker"] = None  # the docker SDK is not installed: `import docker` fails
import nemo_run as run

executor = run.DockerExecutor(
    container_image=sys.argv[1], docker_host=sys.argv[2], packager=run.Packager()
)
with run.Experiment("refused") as exp:
    print(exp.id, flush=True)
    exp.add(run.Script(inline="echo hi"), executor=executor, name="job")
    exp.run(detach=True)
"""

EXPECTED = {
    "not-git": "use packager=run.Packager() to ship nothing",
    "bad-partition": "invalid partition",
    "unreachable": "cannot reach",
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slurm
@pytest.mark.ssh
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_a_refused_submit_is_failed_in_one_line(
    case: str, home: Path, tmp_path: Path, testbed: Any
) -> None:
    testbed.require("slurm")
    testbed.require("ssh")
    port = _closed_port() if case == "unreachable" else testbed.ssh_port
    args = [case, testbed.slurm_partition, testbed.ssh_host, str(port), testbed.ssh_user,
            testbed.ssh_key, testbed.ssh_known_hosts]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    _check_refused(done, EXPECTED[case], not_git=case == "not-git")


@pytest.mark.docker
def test_a_missing_extra_is_failed_in_one_line(home: Path, tmp_path: Path, testbed: Any) -> None:
    testbed.require("docker")
    done = subprocess.run(
        [sys.executable, "-c", MISSING_EXTRA, testbed.docker_python_image, testbed.docker_host],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    _check_refused(done, "pip install 'nemo-run[docker]'", not_git=False)


def _check_refused(
    done: "subprocess.CompletedProcess[str]", expected: str, *, not_git: bool
) -> None:
    assert done.returncode == 1
    eid = done.stdout.split()[0]
    assert expected in done.stderr.lower() or expected in done.stderr, done.stderr
    assert "The above exception was the direct cause" not in done.stderr
    assert "During handling of the above exception" not in done.stderr
    assert done.stderr.count("Traceback") == 1
    [record] = Store().jobs(eid)
    assert (record.state.value, record.reason and record.reason.value) == (
        "FAILED",
        "SUBMIT_ERROR",
    )
    if not_git:
        assert record.intent is None  # packaging fails before any intent is written
    status = subprocess.run(
        [NEMORUN, "experiment", "status", eid], capture_output=True, text=True, timeout=120
    )
    assert status.returncode == 1, status.stdout + status.stderr
    assert "SUBMIT_ERROR" in status.stdout
