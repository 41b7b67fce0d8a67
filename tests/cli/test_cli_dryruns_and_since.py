"""Dry-runs marked and hidden, ``logs --since``, and ``status`` on a read-only home.

Real experiments of local jobs, each command a real subprocess. A dry-run kept by
``exp.dryrun()`` is hidden from ``list`` and shown by ``list --all`` with a marker; ``gc
--dryrun-only`` removes only those; a catalog written before the ``dryrun`` column existed is
read and migrated. ``logs --since`` goes by the log file's last change and by the times lines
start with. The read-only cases run in a mount namespace (root only; skipped otherwise).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

APP = "from nr_cli.app import main; main()"

MAKE = """
import sys, time
import nr_experiment
from nr_config import Partial
from nr_exec import LocalExecutor

def talk(word: str, lines: int = 3):
    for index in range(lines):
        print(word, index, flush=True)

def stamped():
    import datetime
    now = datetime.datetime.now()
    print(f"{(now - datetime.timedelta(hours=2)).isoformat()} old news", flush=True)
    print("  continued, old", flush=True)
    print(f"[{now:%Y-%m-%d %H:%M:%S},5] new news", flush=True)
    print("  continued, new", flush=True)

def nap_then_fail(seconds: float, code: int):
    time.sleep(seconds)
    raise SystemExit(code)

if __name__ == "__main__":
    what = sys.argv[1]
    with nr_experiment.Experiment(what, executor=LocalExecutor()) as exp:
        if what == "dry":
            exp.add(Partial(talk, word="never"), name="never")
            exp.dryrun(log=False)
        elif what == "dry_then_run":
            exp.add(Partial(talk, word="once"), name="once")
            exp.dryrun(log=False)
            exp.run()
        elif what == "unlaunched":
            exp.add(Partial(talk, word="never"), name="never")
        elif what == "talk":
            exp.add(Partial(talk, word="hello"), name="hello")
            exp.run()
        elif what == "stamped":
            exp.add(Partial(stamped), name="stamped")
            exp.run()
        elif what == "napper":
            exp.add(Partial(nap_then_fail, seconds=float(sys.argv[2]), code=4), name="nap")
            exp.run(detach=True)
    print(exp.id)
"""


def nemorun(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMORUN_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", APP, *args], capture_output=True, text=True, env=env,
        check=False, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def make(root: Path, *what: str) -> str:
    (root / "make.py").write_text(MAKE)
    env = {**os.environ, "NEMORUN_HOME": str(root / "home")}
    done = subprocess.run(
        [sys.executable, "make.py", *what], cwd=root, env=env, capture_output=True, text=True,
        check=False, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("dryruns")
    ids = {w: make(root, w) for w in ("dry", "dry_then_run", "unlaunched", "talk", "stamped")}
    return root / "home", ids


def listed(home: Path, *args: str) -> dict[str, dict[str, object]]:
    result = nemorun(home, "experiment", "list", "--json", *args)
    assert result.returncode == 0, result.stderr
    return {e["id"]: e for e in json.loads(result.stdout)}


def test_list_hides_dry_runs_and_all_shows_them_marked(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, ids = store
    assert ids["dry"] not in listed(home)
    assert set(listed(home)) == set(ids.values()) - {ids["dry"]}
    every = listed(home, "--all")
    assert set(every) == set(ids.values())
    assert {i for i, e in every.items() if e["dryrun"]} == {ids["dry"]}
    quiet = nemorun(home, "experiment", "ls", "-q")
    assert ids["dry"] not in quiet.stdout.split()
    table = nemorun(home, "experiment", "ls", "-a")
    rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()[1:]}
    assert rows[ids["dry"]][-1] == "DRY-RUN"
    assert rows[ids["unlaunched"]][-1] == "UNSUBMITTED:1"
    record = json.loads((Path(str(every[ids["dry"]]["path"])) / "experiment.json").read_text())
    assert record["dryrun"] is True


def test_the_marker_survives_a_rebuild_and_an_old_catalog_is_migrated(
    store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, ids = store
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    (copy / "catalog.sqlite3").unlink()
    for suffix in ("-wal", "-shm"):
        (copy / f"catalog.sqlite3{suffix}").unlink(missing_ok=True)
    assert {i for i, e in listed(copy, "-a").items() if e["dryrun"]} == {ids["dry"]}
    conn = sqlite3.connect(copy / "catalog.sqlite3")  # back to the schema before the column
    conn.execute("ALTER TABLE experiments DROP COLUMN dryrun")
    conn.execute("UPDATE schema_version SET version = 2")
    conn.commit()
    conn.close()
    assert not any(e["dryrun"] for e in listed(copy, "-a").values())  # read as it is
    assert set(listed(copy)) == set(ids.values())
    make(tmp_path, "dry")  # a write migrates the catalog in place
    conn = sqlite3.connect(copy / "catalog.sqlite3")
    version = conn.execute("SELECT version FROM schema_version").fetchone()
    columns = [row[1] for row in conn.execute("PRAGMA table_info(experiments)")]
    conn.close()
    assert version == (3,)
    assert "dryrun" in columns
    assert len([e for e in listed(copy, "-a").values() if e["dryrun"]]) == 1


def test_gc_dryrun_only_removes_only_dry_runs(
    store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, ids = store
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    would = nemorun(copy, "experiment", "gc", "--unlaunched", "--dry-run", "--json")
    assert set(json.loads(would.stdout)["would_delete"]) == {ids["dry"], ids["unlaunched"]}
    gone = nemorun(copy, "experiment", "gc", "--dryrun-only", "--json")
    assert json.loads(gone.stdout)["deleted"] == [ids["dry"]]
    assert set(listed(copy, "--all")) == set(ids.values()) - {ids["dry"]}


def test_logs_since_goes_by_the_files_last_change(store: tuple[Path, dict[str, str]]) -> None:
    home, ids = store
    everything = nemorun(home, "experiment", "logs", ids["talk"], "--since", "1h")
    assert everything.stdout.splitlines() == ["hello 0", "hello 1", "hello 2"]
    log = next((home / "experiments" / "talk").rglob("logs/output.log"))
    hour_ago = time.time() - 3600
    os.utime(log, (hour_ago, hour_ago))
    recent = nemorun(home, "experiment", "logs", ids["talk"], "--since", "30m")
    assert recent.returncode == 0, recent.stderr
    assert recent.stdout == ""
    older = nemorun(home, "experiment", "logs", ids["talk"], "--since", "2h", "--tail", "1")
    assert older.stdout.splitlines() == ["hello 2"]
    bad = nemorun(home, "experiment", "logs", ids["talk"], "--since", "soon")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: --since 'soon' is neither an age nor a date")


def test_logs_since_goes_by_the_time_lines_start_with(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, ids = store
    lines = nemorun(home, "experiment", "logs", ids["stamped"], "--since", "1h")
    assert lines.returncode == 0, lines.stderr
    shown = lines.stdout.splitlines()
    assert [line.split("] ", 1)[-1] for line in shown] == ["new news", "  continued, new"]
    every = nemorun(home, "experiment", "logs", ids["stamped"], "--since", "3h")
    assert len(every.stdout.splitlines()) == 4
    as_json = nemorun(home, "experiment", "logs", ids["stamped"], "--since", "1h", "--json")
    assert [json.loads(line)["line"] for line in as_json.stdout.splitlines()] == shown


def _namespaces() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True, check=False
    )
    return probe.returncode == 0


def read_only(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run nemorun with `home` mounted read-only (in a private mount namespace)."""
    command = " ".join(f"'{a}'" for a in [sys.executable, "-c", APP, *args])
    env = {**os.environ, "NEMORUN_HOME": str(home)}
    return subprocess.run(
        ["unshare", "-m", "sh", "-ec", f"mount --bind -o ro '{home}' '{home}'\nexec {command}"],
        env=env, capture_output=True, text=True, check=False, timeout=180,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.skipif(not _namespaces(), reason="needs root and mount namespaces")
def test_status_of_a_live_job_on_a_read_only_home_shows_it_without_writing(
    tmp_path: Path,
) -> None:
    experiment = make(tmp_path, "napper", "4")
    home = tmp_path / "home"
    job = next(home.rglob("nap/job.json"))
    before = job.read_bytes()
    running = read_only(home, "experiment", "status", experiment)
    assert running.returncode == 0, running.stderr
    assert "RUNNING" in running.stdout or "SUBMITTED" in running.stdout
    waited = read_only(home, "experiment", "wait", experiment, "--interval", "0.2")
    assert waited.returncode == 4, waited.stderr  # the job's own exit code
    assert "Traceback" not in waited.stderr
    warnings = [line for line in waited.stderr.splitlines() if line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: NEMORUN_HOME ")
    assert "read-only" in warnings[0]
    ended = read_only(home, "experiment", "status", experiment, "--json")
    assert ended.returncode == 1
    assert json.loads(ended.stdout)["jobs"][0]["status"] == "FAILED"
    assert len(ended.stderr.splitlines()) <= 1
    assert job.read_bytes() == before  # nothing was recorded
