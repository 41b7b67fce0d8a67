"""Unreachable cluster, full disk, read-only home: one ``error:`` line, never a traceback.

The cluster is an SSH tunnel to a closed port on 127.0.0.1. The read-only home is a read-only
bind mount and the full disk a small tmpfs, each inside ``unshare -m`` (chmod does not stop
root), so these tests need root and a kernel that allows mount namespaces; they are skipped
otherwise.
"""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

APP = "from nr_cli.app import main; main()"

MAKE = """
import sys
import nr_experiment
from nr_config import Partial
from nr_exec import LocalExecutor, SlurmExecutor
from nr_package import Packager
from nr_tunnel import SSHTunnel

def hello():
    print("hi", flush=True)

if __name__ == "__main__":
    if sys.argv[1] == "local":
        with nr_experiment.Experiment("local", executor=LocalExecutor()) as exp:
            exp.add(Partial(hello), name="hello")
            exp.run()
    else:
        tunnel = SSHTunnel(
            host="127.0.0.1", user="nobody", port=int(sys.argv[2]), job_dir="/tmp/nowhere",
            connect_attempts=1,
        )
        executor = SlurmExecutor(account="acct", tunnel=tunnel, packager=Packager())
        with nr_experiment.Experiment("remote", executor=executor) as exp:
            exp.add(Partial(hello), name="hello")
            try:
                exp.run(detach=True)  # the cluster is down: the submit fails
            except Exception as error:
                print(type(error).__name__, file=sys.stderr)
    print(exp.id)
"""

# A job submitted while the cluster answered: the handle its backend returned is recorded.
SUBMITTED = """
import sys
from nr_experiment.store import Store

store = Store()
job = store.load_job(sys.argv[1], "hello")
backends = list(job.intent.details["backends"])
handle = "slurm://nobody@127.0.0.1:" + sys.argv[2] + "/4242"
kept = {k: v for k, v in job.items() if k not in type(job).STORE_KEYS}
store.record_submitted(
    sys.argv[1], "hello", handle,
    content=lambda before: {**kept, "state": "RUNNING", "reason": None, "message": "",
                            "handles": [handle], "backends": backends},
)
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def python(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMORUN_HOME": str(home)}
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, check=False,
        timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def assert_one_error_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    for word in words:
        assert word in line, line


def test_an_unreachable_cluster_is_one_error_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = closed_port()
    (tmp_path / "make.py").write_text(MAKE)
    (tmp_path / "submitted.py").write_text(SUBMITTED)
    made = python(tmp_path, home, "make.py", "remote", str(port))
    assert made.returncode == 0, made.stderr
    experiment = made.stdout.split()[-1]
    recorded = python(tmp_path, home, "submitted.py", experiment, str(port))
    assert recorded.returncode == 0, recorded.stderr
    for command in (["status"], ["logs"], ["cancel", "--all"], ["wait", "--timeout", "5"]):
        result = python(tmp_path, home, "-c", APP, "experiment", command[0], experiment,
                        *command[1:])  # fmt: skip
        assert_one_error_line(result, f"experiment {command[0]} {experiment}", f"127.0.0.1:{port}")
    as_json = python(tmp_path, home, "-c", APP, "experiment", "status", experiment, "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["error"]["type"] == "HostUnreachableError"
    listed = python(tmp_path, home, "-c", APP, "experiment", "list")  # needs no cluster
    assert listed.returncode == 0
    assert experiment in listed.stdout
    verbose = python(tmp_path, home, "-c", APP, "experiment", "status", experiment, "-v")
    assert "Traceback" in verbose.stderr  # --verbose shows where it failed
    assert verbose.stderr.splitlines()[-1].startswith("error: ")


@pytest.fixture(scope="module")
def local_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("failures")
    (root / "make.py").write_text(MAKE)
    made = python(root, root / "home", "make.py", "local")
    assert made.returncode == 0, made.stderr
    return root / "home", made.stdout.split()[-1]


def test_a_read_only_home_is_read_and_rebuild_says_it_cannot_write(
    local_home: tuple[Path, str],
    in_mount_namespace: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    home, experiment = local_home
    status = in_mount_namespace(home, "experiment", "status", experiment)
    assert status.returncode == 0, status.stderr
    assert "SUCCEEDED" in status.stdout
    shown = in_mount_namespace(home, "experiment", "show", experiment)
    assert shown.returncode == 0
    assert "Job hello" in shown.stdout, shown.stderr
    logs = in_mount_namespace(home, "experiment", "logs", experiment)
    assert logs.returncode == 0
    assert "hi" in logs.stdout, logs.stderr
    rebuilt = in_mount_namespace(home, "experiment", "rebuild-catalog")
    assert_one_error_line(rebuilt, "cannot rebuild the catalog", "read-only")
    as_json = in_mount_namespace(home, "experiment", "rebuild-catalog", "--json")
    assert "read-only" in json.loads(as_json.stdout)["error"]["message"]


def test_list_works_on_a_read_only_home(
    local_home: tuple[Path, str],
    in_mount_namespace: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    home, experiment = local_home
    listed = in_mount_namespace(home, "experiment", "list")
    assert listed.returncode == 0, listed.stderr
    assert experiment in listed.stdout


def test_list_on_a_read_only_home_fails_in_one_line_naming_it(
    local_home: tuple[Path, str],
    in_mount_namespace: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    home, _ = local_home
    listed = in_mount_namespace(home, "experiment", "list")
    if listed.returncode == 0:  # the catalog patch landed: test_list_works_... covers it
        return
    assert_one_error_line(listed, "read-only")


def test_a_full_disk_is_one_error_line(
    local_home: tuple[Path, str],
    tmp_path: Path,
    in_mount_namespace: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    home, _ = local_home
    disk = tmp_path / "disk"
    disk.mkdir()
    full = disk / "home"
    setup = (
        f"mount -t tmpfs -o size=4m tmpfs '{disk}'\n"
        f"cp -a '{home}' '{full}'\nrm -f '{full}/catalog.sqlite3'\n"
        f"dd if=/dev/zero of='{disk}/filler' bs=64k 2>/dev/null || true"
    )
    for command in (["list"], ["rebuild-catalog"]):
        result = in_mount_namespace(full, "experiment", *command, setup=setup)
        assert_one_error_line(result, "catalog", "is full")
