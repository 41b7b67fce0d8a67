"""Reconciling with the real cluster after a submit was cut short (testbed Slurm over SSH).

* A launcher killed with SIGKILL in the middle of a 20-job batch: a fresh backend, built in
  another process from the saved connection data alone, finds exactly the jobs that reached
  Slurm (each once), and can cancel them.
* The SSH session dropped while ``sbatch`` runs: the submit reports what it knows, the job
  still reaches Slurm and ``find()`` reports it; a read-only command whose session drops is
  asked again and answers.

Drops are made deterministic with *gates*: stand-ins for ``sbatch``/``squeue`` put first on
the remote PATH (``SSHTunnel.pre_command``) that hold chosen calls until the test opens them,
so the test kills the launcher or the sshd session process (by pid) while a call is held.

Run inside the testbed's network namespace (``hatch run test:all`` does it).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from nr_config import Script
from nr_exec import BackendContext, JobState, backend_for, create_backend
from nr_exec.slurm import SlurmBackend, SlurmExecutor, SlurmSubmitError, SubmitInFlightError
from nr_package import Packager
from nr_tunnel import SSHTunnel

pytestmark = [pytest.mark.slurm, pytest.mark.ssh]

PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
_SUBMISSIONS = "*--parsable*"  # sbatch calls that submit (not the probe's sbatch --help)
WAIT = 120.0  # seconds before a wait in these tests gives up

_GATE = """#!/bin/sh
# Test stand-in for {command}: call n (counting calls whose arguments match {calls}) waits
# for {dir}/go when [{hold}] is true.
d={dir}
case "$*" in {calls}) ;; *) exec {real} "$@" ;; esac
echo "start $$" >> "$d/calls"
n=$(grep -c '^start' "$d/calls")
if [ {hold} ]; then
  echo "$$" > "$d/held.$n"
  i=0
  while [ ! -e "$d/go" ] && [ "$i" -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done
fi
{real} "$@"
rc=$?
echo "end $$" >> "$d/calls"
exit "$rc"
"""

_LAUNCHER = """
import json, sys
from nr_config import Script
from nr_exec import BackendContext, backend_for
from nr_exec.slurm import SlurmExecutor
from nr_package import Packager
from nr_tunnel import SSHTunnel

cfg = json.loads(sys.argv[1])
executor = SlurmExecutor(
    tunnel=SSHTunnel(**cfg["ssh"]), packager=Packager(), partition=cfg["partition"],
    env_vars={"PATH": cfg["path"]}, time="00:03:00",
)
with open(cfg["connection_file"], "w") as out:
    json.dump(executor.connection(), out)
backend = backend_for(executor, context=BackendContext.default(cfg["home"]))
specs = [
    executor.to_job_spec(Script(inline="sleep 150"), name="batch", job_id=job_id)
    for job_id in cfg["job_ids"]
]
backend.submit_many([backend.dryrun(spec) for spec in specs])
"""


def _wait_for(what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _parent(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])


def _session_of(pid: int) -> tuple[int, int]:
    """``(sshd session process, top shell)`` of a process run by a command over SSH."""
    child, current = pid, _parent(pid)
    while Path(f"/proc/{current}/comm").read_text().strip() != "sshd":
        child, current = current, _parent(current)
    return current, child


class Gate:
    """A stand-in for a Slurm command that holds the calls ``hold`` (a shell test on ``$n``).

    Only calls whose arguments match the shell pattern ``calls`` are counted (and held).
    """

    def __init__(self, bindir: Path, command: str, hold: str, calls: str = "*") -> None:
        self.dir = bindir / f"{command}.gate"
        self.dir.mkdir(parents=True)
        real = shutil.which(command, path="/usr/local/bin:/usr/bin:/bin")
        assert real is not None, f"{command} is not installed"
        script = bindir / command
        text = _GATE.format(command=command, hold=hold, calls=calls, dir=self.dir, real=real)
        script.write_text(text)
        script.chmod(0o755)

    def held(self, call: int) -> int:
        """Wait until call number ``call`` (from 1) is held; return its pid."""
        marker = self.dir / f"held.{call}"
        _wait_for(f"call {call} to be held", marker.exists)
        return int(_wait_for(f"the pid of call {call}", lambda: marker.read_text().strip()))

    def open(self) -> None:
        """Let held and later calls through."""
        (self.dir / "go").touch()


@pytest.fixture
def bindir(tmp_path: Path) -> Path:
    path = tmp_path / "bin"
    path.mkdir()
    path.chmod(0o755)
    return path


@pytest.fixture
def ssh_settings(testbed: Any, bindir: Path) -> Iterator[dict[str, Any]]:
    """SSHTunnel settings (to the testbed's sshd, fresh remote root) finding the gates first."""
    testbed.require("slurm")
    testbed.require("ssh")
    settings: dict[str, Any] = {
        "host": testbed.ssh_host,
        "port": testbed.ssh_port,
        "user": testbed.ssh_root_user,
        "identity": testbed.ssh_key,
        "known_hosts": testbed.ssh_known_hosts,
        "job_dir": f"/tmp/nr-slurm-reconcile-{uuid.uuid4().hex[:8]}",
        "pre_command": f"export PATH={bindir}:$PATH",
    }
    yield settings
    SSHTunnel(**settings).cleanup()


def _executor(settings: dict[str, Any], testbed: Any) -> SlurmExecutor:
    return SlurmExecutor(
        tunnel=SSHTunnel(**settings),
        packager=Packager(),
        partition=testbed.slurm_partition,
        env_vars={"PATH": PATH},
        time="00:03:00",
    )


def _on_cluster(token: str) -> dict[str, list[str]]:
    """Slurm job ids by job name, for the names containing ``token`` (squeue and sacct)."""
    rows = subprocess.run(
        ["squeue", "-h", "-t", "all", "-o", "%i|%j"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    rows += subprocess.run(
        ["sacct", "-X", "-n", "-P", "-S", "now-1hours", "-o", "JobID,JobName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    ids: dict[str, set[str]] = {}
    for row in rows:
        job_id, _, name = row.strip().partition("|")
        if token in name:
            ids.setdefault(name, set()).add(job_id)
    return {name: sorted(found) for name, found in ids.items()}


def test_killed_launcher_mid_batch_is_reconciled(
    testbed: Any, ssh_settings: dict[str, Any], bindir: Path, tmp_path: Path
) -> None:
    gate = Gate(bindir, "sbatch", hold='"$n" -gt 3', calls=_SUBMISSIONS)  # three go through
    token = uuid.uuid4().hex[:8]
    job_ids = [f"kill-{token}-{i:02d}" for i in range(20)]
    connection_file = tmp_path / "connection.json"
    config = {
        "ssh": ssh_settings,
        "partition": testbed.slurm_partition,
        "path": PATH,
        "home": str(tmp_path / "home"),
        "connection_file": str(connection_file),
        "job_ids": job_ids,
    }
    launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER, json.dumps(config)])
    try:
        held = gate.held(4)
        session, shell = _session_of(held)
    finally:
        launcher.kill()  # SIGKILL, while the fourth sbatch is held
        launcher.wait()
    _wait_for("the SSH session to end", lambda: not _alive(session))
    gate.open()  # the held sbatch goes on without its session (if it outlived it)
    _wait_for("the remote submit to stop", lambda: not (_alive(held) or _alive(shell)))

    on_cluster = _on_cluster(token)
    assert all(len(ids) == 1 for ids in on_cluster.values()), on_cluster  # no duplicates
    saved = json.loads(connection_file.read_text())
    context = BackendContext.default(tmp_path / "other", connection=saved)
    cluster = f"{testbed.ssh_root_user}@{testbed.ssh_host}:{testbed.ssh_port}"
    fresh = create_backend("slurm", cluster, context=context)
    found = fresh.find(job_ids)
    assert {name: [h.job_id] for name, h in found.items()} == on_cluster
    # The three submitted before the kill, perhaps the one held then, and nothing after it.
    assert sorted(found)[:3] == job_ids[:3]
    assert set(found) <= set(job_ids[:4])
    handles = list(found.values())
    assert fresh.cancel(handles) == handles
    statuses = fresh.wait(handles, timeout=WAIT, interval=0.5)
    assert {s.state for s in statuses.values()} == {JobState.CANCELLED}


def test_ssh_drop_during_sbatch_leaves_a_job_find_reports(
    testbed: Any, ssh_settings: dict[str, Any], bindir: Path, tmp_path: Path
) -> None:
    gate = Gate(bindir, "sbatch", hold='"$n" -eq 1', calls=_SUBMISSIONS)
    executor = _executor(ssh_settings, testbed)
    context = BackendContext.default(tmp_path / "home")
    backend = backend_for(executor, context=context)
    spec = executor.to_job_spec(Script(inline="sleep 150"), name="dropped")
    request = backend.dryrun(spec)

    def drop_session() -> None:
        session, _ = _session_of(gate.held(1))
        os.kill(session, signal.SIGKILL)

    with ThreadPoolExecutor(max_workers=1) as pool:
        dropping = pool.submit(drop_session)
        with pytest.raises(SlurmSubmitError, match="dropped") as raised:
            backend.submit(request)
        dropping.result()
    assert raised.value.submitted == []  # sbatch was still held when the submit gave up
    # Read-only commands work again at once, and find() will not call the job never
    # submitted while its sbatch, which outlived the session, still holds the submit lock.
    with pytest.raises(SubmitInFlightError, match="still running"):
        backend.find([spec.job_id])
    gate.open()
    fresh = create_backend(
        "slurm", backend.cluster, context=context.with_connection(executor.connection())
    )
    found = _wait_for("the job to reach Slurm", lambda: fresh.find([spec.job_id]))
    handle = found[spec.job_id]
    status = fresh.describe([handle])[handle]
    assert status is not None
    assert status.state in {JobState.PENDING, JobState.RUNNING}
    assert fresh.cancel([handle]) == [handle]


def test_read_only_command_is_asked_again_after_a_drop(
    testbed: Any, ssh_settings: dict[str, Any], bindir: Path, tmp_path: Path
) -> None:
    gate = Gate(bindir, "squeue", hold='"$n" -eq 1')  # only the first squeue call is held
    executor = _executor(ssh_settings, testbed)
    backend = backend_for(executor, context=BackendContext.default(tmp_path / "home"))
    assert isinstance(backend, SlurmBackend)
    spec = executor.to_job_spec(Script(inline="sleep 150"), name="asked")
    handle = backend.submit(backend.dryrun(spec))

    def drop_session() -> None:
        session, _ = _session_of(gate.held(1))
        os.kill(session, signal.SIGKILL)
        gate.open()

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            dropping = pool.submit(drop_session)
            status = backend.describe([handle])[handle]  # its squeue is held, then dropped
            dropping.result()
        assert status is not None
        assert status.state in {JobState.PENDING, JobState.RUNNING}
        calls = (gate.dir / "calls").read_text().split()
        assert calls.count("start") == 2  # asked twice: the held call and the retry
        assert backend.find([spec.job_id]) == {spec.job_id: handle}
    finally:
        backend.cancel([handle])
