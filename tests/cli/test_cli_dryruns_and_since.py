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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Nemorun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, make_experiment: Callable[..., str]
) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("dryruns")
    kinds = ("dry", "dry_then_run", "unlaunched", "talk", "stamped")
    ids = {w: make_experiment(root, w) for w in kinds}
    return root / "home", ids


@pytest.fixture
def listed(nemorun: Nemorun) -> Callable[..., dict[str, dict[str, Any]]]:
    """``listed(home, *args)``: ``{id: entry}`` of ``experiment list --json *args``."""

    def run(home: Path, *args: str) -> dict[str, dict[str, Any]]:
        result = nemorun(home, "experiment", "list", "--json", *args)
        assert result.returncode == 0, result.stderr
        return {e["id"]: e for e in json.loads(result.stdout)}

    return run


def test_list_hides_dry_runs_and_all_shows_them_marked(
    store: tuple[Path, dict[str, str]],
    nemorun: Nemorun,
    listed: Callable[..., dict[str, dict[str, Any]]],
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
    store: tuple[Path, dict[str, str]],
    tmp_path: Path,
    make_experiment: Callable[..., str],
    listed: Callable[..., dict[str, dict[str, Any]]],
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
    make_experiment(tmp_path, "dry")  # a write migrates the catalog in place
    conn = sqlite3.connect(copy / "catalog.sqlite3")
    version = conn.execute("SELECT version FROM schema_version").fetchone()
    columns = [row[1] for row in conn.execute("PRAGMA table_info(experiments)")]
    conn.close()
    assert version == (3,)
    assert "dryrun" in columns
    assert len([e for e in listed(copy, "-a").values() if e["dryrun"]]) == 1


def test_gc_dryrun_only_removes_only_dry_runs(
    store: tuple[Path, dict[str, str]],
    tmp_path: Path,
    nemorun: Nemorun,
    listed: Callable[..., dict[str, dict[str, Any]]],
) -> None:
    home, ids = store
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    would = nemorun(copy, "experiment", "gc", "--unlaunched", "--dry-run", "--json")
    assert set(json.loads(would.stdout)["would_delete"]) == {ids["dry"], ids["unlaunched"]}
    gone = nemorun(copy, "experiment", "gc", "--dryrun-only", "--json")
    assert json.loads(gone.stdout)["deleted"] == [ids["dry"]]
    assert set(listed(copy, "--all")) == set(ids.values()) - {ids["dry"]}


def test_logs_since_goes_by_the_files_last_change(
    store: tuple[Path, dict[str, str]], nemorun: Nemorun
) -> None:
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
    store: tuple[Path, dict[str, str]], nemorun: Nemorun
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


def test_status_of_a_live_job_on_a_read_only_home_shows_it_without_writing(
    tmp_path: Path, make_experiment: Callable[..., str], in_mount_namespace: Nemorun
) -> None:
    experiment = make_experiment(tmp_path, "napper", "4")
    home = tmp_path / "home"
    job = next(home.rglob("nap/job.json"))
    before = job.read_bytes()
    running = in_mount_namespace(home, "experiment", "status", experiment)
    assert running.returncode == 0, running.stderr
    assert "RUNNING" in running.stdout or "SUBMITTED" in running.stdout
    waited = in_mount_namespace(home, "experiment", "wait", experiment, "--interval", "0.2")
    assert waited.returncode == 4, waited.stderr  # the job's own exit code
    assert "Traceback" not in waited.stderr
    warnings = [line for line in waited.stderr.splitlines() if line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: NEMORUN_HOME ")
    assert "read-only" in warnings[0]
    ended = in_mount_namespace(home, "experiment", "status", experiment, "--json")
    assert ended.returncode == 1
    assert json.loads(ended.stdout)["jobs"][0]["status"] == "FAILED"
    assert len(ended.stderr.splitlines()) <= 1
    assert job.read_bytes() == before  # nothing was recorded
