"""Experiment-level reconciliation with the real cluster, over SSH as a non-root user.

* A launcher (``with run.Experiment(...)``: 20 Slurm jobs over an ``SSHTunnel``) is killed
  with SIGKILL while its 8th ``sbatch`` runs. From another process, ``status()`` accounts for
  every job: found on Slurm (a handle, the real state, ``cancel()`` reaches it) or never
  received (``UNSUBMITTED``, naming ``Experiment.resume()``); ``resume()`` submits exactly
  the missing ones, and the cluster then has each of the 20 jobs exactly once.
* The launcher's SSH session drops while its first ``sbatch`` runs. The launcher's own
  ``status()`` still answers (read-only commands work again), and once that ``sbatch``
  completes, ``status()`` from another process finds the job and can cancel it.
* A job whose ``sbatch`` outlived its dropped session stays in doubt while that ``sbatch``
  runs (the submit holds the cluster's submit lock, which ``find()`` waits for), so
  ``resume()`` never submits it twice; once it has ended, the job is found.

Drops happen at a known moment through *gates*: a stand-in for ``sbatch`` first on the remote
PATH (``SSHTunnel.pre_command``) that holds chosen calls until the test opens it; the test
kills the launcher, or the sshd session process (by pid), while a call is held. What is on
the cluster is read with ``squeue``/``sacct`` run by this (root) process, by job name.

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
from pathlib import Path
from typing import Any

import pytest
from nr_exec import Handle
from nr_experiment import Experiment
from nr_experiment.store import backend_job_name

pytestmark = [pytest.mark.slurm, pytest.mark.ssh]

WAIT = 120.0  # seconds before a wait in these tests gives up
_SUBMISSIONS = "*--parsable*"  # sbatch calls that submit (not the probe's sbatch --help)
_LIVE = {"PENDING", "RUNNING"}

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

# The launcher: the user's script, with the connection and the job count from argv.
_LAUNCHER = """
import json
import sys

import nemo_run as run
from nr_experiment import SubmitError

config = json.loads(sys.argv[1])
executor = run.SlurmExecutor(
    tunnel=run.SSHTunnel(**config["ssh"]),
    packager=run.Packager(),
    partition=config["partition"],
    time="00:05:00",
)
with run.Experiment(
    config["title"], executor=executor, base_dir=config["home"], clean_mode=True
) as exp:
    for i in range(config["jobs"]):
        exp.add(run.Script(inline="sleep 600"), name=f"j{i:02d}")
    print(exp.id, flush=True)
    try:
        exp.run(detach=True)
    except SubmitError as exc:  # the dropped session: say where each job stands
        print(json.dumps({"error": str(exc), "rows": exp.status(return_dict=True)}), flush=True)
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
    """A stand-in for ``sbatch`` that holds the submitting calls ``hold`` (a test on ``$n``).

    Its directory is writable by every user: the gate runs as the SSH user.
    """

    def __init__(self, bindir: Path, hold: str) -> None:
        self.dir = bindir / "sbatch.gate"
        self.dir.mkdir()
        self.dir.chmod(0o777)
        real = shutil.which("sbatch", path="/usr/local/bin:/usr/bin:/bin")
        assert real is not None, "sbatch is not installed"
        script = bindir / "sbatch"
        script.write_text(
            _GATE.format(command="sbatch", hold=hold, calls=_SUBMISSIONS, dir=self.dir, real=real)
        )
        script.chmod(0o755)

    def held(self, call: int) -> int:
        """Wait until submitting call number ``call`` (from 1) is held; return its pid."""
        marker = self.dir / f"held.{call}"
        _wait_for(f"sbatch call {call} to be held", marker.exists)
        return int(_wait_for(f"the pid of call {call}", lambda: marker.read_text().strip()))

    def open(self) -> None:
        """Let held and later calls through."""
        (self.dir / "go").touch()

    def wait_done(self, pid: int, shell: int) -> None:
        """Open the gate and wait until the held call ``pid`` and its remote ``shell`` ended."""
        self.open()
        _wait_for("the remote submit to stop", lambda: not (_alive(pid) or _alive(shell)))


def _cluster_jobs(token: str) -> dict[str, dict[str, str]]:
    """``{Slurm job name: {Slurm job id: state}}`` for names containing ``token``.

    From ``squeue`` (every user, ended jobs too) and ``sacct`` (every user, the last hour);
    ``squeue``'s fresher state wins.
    """
    queue = subprocess.run(
        ["squeue", "-h", "-t", "all", "-o", "%i|%j|%T"], capture_output=True, text=True, check=True
    ).stdout
    accounting = subprocess.run(
        ["sacct", "-a", "-X", "-n", "-P", "-S", "now-1hours", "-o", "JobID,JobName,State"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    jobs: dict[str, dict[str, str]] = {}
    for text in (accounting, queue):
        for row in text.splitlines():
            job_id, name, state = [*row.strip().split("|"), "", ""][:3]
            if token in name:
                jobs.setdefault(name, {})[job_id] = state.split()[0] if state else ""
    return jobs


def _by_job(eid: str, job_ids: list[str], on_cluster: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The cluster's jobs of each experiment job (the Slurm name ends with its backend name)."""
    found: dict[str, dict[str, str]] = {}
    for name, jobs in on_cluster.items():
        owners = [jid for jid in job_ids if name.endswith(backend_job_name(eid, jid))]
        assert len(owners) == 1, f"Slurm job {name} matches {owners}"
        found.setdefault(owners[0], {}).update(jobs)
    return found


def _slurm_id(row: dict[str, Any]) -> str:
    return Handle.parse(row["handle"]).job_id


def _wait_cancelled(token: str, slurm_ids: set[str]) -> None:
    """Wait until Slurm shows every job of ``slurm_ids`` CANCELLED."""

    def cancelled() -> bool:
        states = {i: s for jobs in _cluster_jobs(token).values() for i, s in jobs.items()}
        return all(states.get(i) == "CANCELLED" for i in slurm_ids)

    _wait_for(f"Slurm to cancel {sorted(slurm_ids)}", cancelled)


def _scancel_all(token: str) -> None:
    """Cancel every job of this test still on the cluster (by name), even after a failure."""
    live = [
        job_id
        for jobs in _cluster_jobs(token).values()
        for job_id, state in jobs.items()
        if state in _LIVE
    ]
    if live:
        subprocess.run(["scancel", *live], check=False)


@pytest.fixture
def bindir() -> Iterator[Path]:
    """A directory the SSH user reads (pytest's tmp_path is private to root)."""
    path = Path(f"/tmp/nr-gates-{uuid.uuid4().hex[:8]}")
    path.mkdir(mode=0o755)
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def token() -> Iterator[str]:
    """A token in every Slurm job name of the test; its jobs are cancelled afterwards."""
    value = uuid.uuid4().hex[:8]
    yield value
    _scancel_all(value)


@pytest.fixture
def ssh_settings(testbed: Any, bindir: Path) -> Iterator[dict[str, Any]]:
    """SSHTunnel settings (testbed sshd, the non-root user, a fresh root) finding the gate."""
    testbed.require("slurm")
    testbed.require("ssh")
    root = f"/tmp/nr-slurm-exp-reconcile-{uuid.uuid4().hex[:8]}"
    yield {
        "host": testbed.ssh_host,
        "port": testbed.ssh_port,
        "user": testbed.ssh_user,
        "identity": testbed.ssh_key,
        "known_hosts": testbed.ssh_known_hosts,
        "job_dir": root,
        "pre_command": f"export PATH={bindir}:$PATH",
    }
    shutil.rmtree(root, ignore_errors=True)  # the remote host is this machine


def _launch(
    testbed: Any, settings: dict[str, Any], home: Path, token: str, jobs: int
) -> tuple["subprocess.Popen[str]", str]:
    """Start the launcher; return it and the experiment id it printed."""
    config = {
        "ssh": settings,
        "partition": testbed.slurm_partition,
        "home": str(home),
        "title": f"rc{token}",
        "jobs": jobs,
    }
    launcher = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, json.dumps(config)], stdout=subprocess.PIPE, text=True
    )
    assert launcher.stdout is not None
    return launcher, launcher.stdout.readline().strip()


def test_killed_launcher_mid_submit_then_status_cancel_resume(
    testbed: Any, ssh_settings: dict[str, Any], bindir: Path, tmp_path: Path, token: str
) -> None:
    gate = Gate(bindir, hold='"$n" -gt 7')  # seven go through, the eighth and later wait
    home = tmp_path / "home"
    launcher, eid = _launch(testbed, ssh_settings, home, token, 20)
    try:
        held = gate.held(8)
        session, shell = _session_of(held)
    finally:
        launcher.kill()  # SIGKILL, while the eighth sbatch is held
        launcher.wait()
        assert launcher.stdout is not None
        launcher.stdout.close()
    assert launcher.returncode == -signal.SIGKILL
    _wait_for("the SSH session to end", lambda: not _alive(session))
    gate.wait_done(held, shell)  # the held sbatch goes on without its session (if it outlived it)
    names = [f"j{i:02d}" for i in range(20)]

    exp = Experiment.from_id(eid, base_dir=home)  # this process is not the launcher
    rows = exp.status(return_dict=True) or {}
    found = sorted(jid for jid, row in rows.items() if row["handle"])
    missing = sorted(jid for jid, row in rows.items() if row["status"] == "UNSUBMITTED")
    assert sorted(found + missing) == names, rows  # nothing is left in doubt
    assert set(names[:7]) <= set(found) <= set(names[:8])  # the seven, perhaps the held one
    assert all("Experiment.resume()" in rows[jid]["message"] for jid in missing), rows
    on_cluster = _by_job(eid, names, _cluster_jobs(token))
    assert {jid: list(jobs) for jid, jobs in on_cluster.items()} == {
        jid: [_slurm_id(rows[jid])] for jid in found
    }  # each found job once, under the handle status() gives
    for jid in found:  # its real state: what Slurm says (or had said a moment before)
        assert rows[jid]["status"] in _LIVE, rows[jid]
        assert on_cluster[jid][_slurm_id(rows[jid])] in _LIVE, on_cluster[jid]

    first = found[0]
    assert exp.cancel(first, dependents=False) == [first]
    _wait_cancelled(token, {_slurm_id(rows[first])})  # reached Slurm, not only the store

    assert exp.resume(detach=True) == missing
    rows = exp.status(return_dict=True) or {}
    assert all(row["handle"] for row in rows.values()), rows
    on_cluster = _by_job(eid, names, _cluster_jobs(token))
    assert {jid: list(jobs) for jid, jobs in on_cluster.items()} == {
        jid: [_slurm_id(rows[jid])] for jid in names
    }  # every job exactly once on the cluster: none submitted twice

    assert exp.cancel() == names
    _wait_cancelled(token, {_slurm_id(row) for row in rows.values()})
    assert {row["status"] for row in (exp.status(return_dict=True) or {}).values()} == {"CANCELLED"}


def test_ssh_drop_during_sbatch_then_status_finds_and_cancels(
    testbed: Any, ssh_settings: dict[str, Any], bindir: Path, tmp_path: Path, token: str
) -> None:
    gate = Gate(bindir, hold='"$n" -eq 1')  # only the first submitting sbatch waits
    home = tmp_path / "home"
    launcher, eid = _launch(testbed, ssh_settings, home, token, 3)
    assert launcher.stdout is not None
    try:
        held = gate.held(1)
        session, shell = _session_of(held)
        os.kill(session, signal.SIGKILL)  # the session drops while sbatch is held
        report = json.loads(launcher.stdout.readline())
        launcher.wait(timeout=WAIT)
    finally:
        launcher.kill()
        launcher.wait()
        launcher.stdout.close()
    assert launcher.returncode == 0
    assert "dropped" in report["error"], report
    # The launcher's status() after the drop answered: read-only commands work again. The
    # held sbatch has not run, so no job has a handle yet.
    assert not any(row["handle"] for row in report["rows"].values()), report
    gate.wait_done(held, shell)  # now the held sbatch reaches Slurm
    names = ["j00", "j01", "j02"]
    on_cluster = _wait_for("the held job to reach Slurm", lambda: _cluster_jobs(token))
    assert list(_by_job(eid, names, on_cluster)) == ["j00"]  # the shell stopped with its session

    exp = Experiment.from_id(eid, base_dir=home)  # this process is not the launcher
    rows = exp.status(return_dict=True) or {}
    (slurm_id,) = on_cluster[next(iter(on_cluster))]
    assert rows["j00"]["handle"], rows
    assert _slurm_id(rows["j00"]) == slurm_id
    assert rows["j00"]["status"] in _LIVE, rows["j00"]
    for jid in names[1:]:  # never sent: the remote shell stopped with its session
        assert not rows[jid]["handle"], rows[jid]
        assert rows[jid]["status"] != "UNKNOWN", rows[jid]  # nothing is left in doubt
    assert exp.cancel("j00", dependents=False) == ["j00"]
    _wait_cancelled(token, {slurm_id})
    assert (exp.status(return_dict=True) or {})["j00"]["status"] == "CANCELLED"


def test_resume_while_the_killed_launchers_sbatch_still_runs_submits_nothing_twice(
    testbed: Any, ssh_settings: dict[str, Any], bindir: Path, tmp_path: Path, token: str
) -> None:
    gate = Gate(bindir, hold='"$n" -eq 2')  # the second sbatch waits; resume()'s do not
    home = tmp_path / "home"
    launcher, eid = _launch(testbed, ssh_settings, home, token, 3)
    try:
        held = gate.held(2)
        session, shell = _session_of(held)
    finally:
        launcher.kill()
        launcher.wait()
        assert launcher.stdout is not None
        launcher.stdout.close()
    _wait_for("the SSH session to end", lambda: not _alive(session))
    assert _alive(held)  # the held sbatch outlived its session: j01 may still reach Slurm
    names = ["j00", "j01", "j02"]
    exp = Experiment.from_id(eid, base_dir=home)
    try:
        rows = exp.status(return_dict=True) or {}
        # The submit still holds the cluster's submit lock: nothing may be called never
        # received yet, so j01 (and j02, after it in the same submit) stay in doubt.
        assert rows["j01"]["status"] == "UNKNOWN", rows["j01"]
        assert rows["j02"]["status"] == "UNKNOWN", rows["j02"]
        exp.resume(detach=True)  # resumes nothing that may still arrive
    finally:
        gate.wait_done(held, shell)
    on_cluster = _by_job(eid, names, _cluster_jobs(token))
    assert {jid: len(on_cluster.get(jid, {})) for jid in names} == {"j00": 1, "j01": 1, "j02": 0}
    exp = Experiment.from_id(eid, base_dir=home)
    rows = exp.status(return_dict=True) or {}
    assert rows["j01"]["status"] != "UNKNOWN", rows["j01"]  # found now that the submit ended
    assert rows["j02"]["status"] == "UNSUBMITTED", rows["j02"]  # provably never received
    exp.resume(detach=True)
    on_cluster = _by_job(eid, names, _cluster_jobs(token))
    assert {jid: len(jobs) for jid, jobs in on_cluster.items()} == dict.fromkeys(names, 1)


def test_after_an_ssh_drop_the_launcher_keeps_the_held_job_in_doubt(
    testbed: Any, ssh_settings: dict[str, Any], bindir: Path, tmp_path: Path, token: str
) -> None:
    gate = Gate(bindir, hold='"$n" -eq 1')
    launcher, _ = _launch(testbed, ssh_settings, tmp_path / "home", token, 1)
    assert launcher.stdout is not None
    try:
        held = gate.held(1)
        session, shell = _session_of(held)
        os.kill(session, signal.SIGKILL)
        report = json.loads(launcher.stdout.readline())
    finally:
        launcher.kill()
        launcher.wait()
        launcher.stdout.close()
    try:
        assert _alive(held)  # the sbatch still runs, so the job may yet reach Slurm
        assert report["rows"]["j00"]["status"] == "UNKNOWN", report  # not "never received"
    finally:
        gate.wait_done(held, shell)
