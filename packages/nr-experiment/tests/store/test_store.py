"""The Store API on one process: files, ids, jobs, intents, lookup, catalog and rebuilds."""

import json
import sqlite3
import time
from pathlib import Path

import pytest
from nr_exec.states import FailureReason, JobState
from nr_experiment.store import (
    CorruptMetadataError,
    ExperimentNotFoundError,
    ExperimentRecord,
    IncompleteJobError,
    Intent,
    InvalidNameError,
    JobNotFoundError,
    JobRecord,
    Store,
    StoreError,
    StoreWarning,
    backend_job_name,
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "home")


def add_job(store: Store, experiment_id: str, name: str, **content: object) -> str:
    """Add a job the way an experiment does: its directory, then its content."""
    job_id = store.add_job_dir(experiment_id, name).name
    store.write_job(experiment_id, job_id, {"kind": "job", **content})
    return job_id


def test_create_writes_layout(store: Store) -> None:
    ref = store.create_experiment("my_run", {"version": "1.0", "jobs": []})
    assert ref.title == "my_run"
    assert ref.path == store.home / "experiments" / "my_run" / ref.id
    assert ref.id.startswith("my_run_")
    assert len(ref.id) == len("my_run_") + 19
    record = store.load_experiment(ref.id)
    assert isinstance(record, ExperimentRecord)
    assert record.to_json() == {
        "format": 1, "id": ref.id, "title": "my_run", "created": pytest.approx(time.time(), abs=60),
        "version": "1.0", "jobs": [],
    }  # fmt: skip
    assert (record.id, record.title, record.jobs) == (ref.id, "my_run", ())
    assert record["version"] == "1.0"
    assert (store.home / "catalog.sqlite3").is_file()
    conn = sqlite3.connect(store.home / "catalog.sqlite3")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()


def test_default_home_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "h1"))
    assert Store().home == tmp_path / "h1"
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "h2"))
    ref = Store().create_experiment("t")
    assert ref.path.is_relative_to(tmp_path / "h2")


def test_reserved_keys_and_bad_metadata(store: Store) -> None:
    with pytest.raises(StoreError, match="'id'"):
        store.create_experiment("t", {"id": "mine"})
    with pytest.raises(TypeError):
        store.create_experiment("t", {"x": object()})
    assert not (store.experiments_root / "t").exists() or not any(
        (store.experiments_root / "t").iterdir()
    )
    with pytest.raises(InvalidNameError):
        store.create_experiment("../etc")


def test_id_collision_retries(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time_ns", lambda: 1724150000000000000)
    ids = {store.create_experiment("same").id for _ in range(5)}
    assert len(ids) == 5
    assert "same_1724150000000000000" in ids


def test_update_experiment_locks_and_protects_owned_keys(store: Store) -> None:
    ref = store.create_experiment("t", {"n": 0})

    def bump(data: dict[str, object]) -> dict[str, object]:
        data["n"] = int(str(data["n"])) + 1
        return data

    assert store.update_experiment(ref.id, bump)["n"] == 1
    assert store.load_experiment(ref.id)["n"] == 1
    with pytest.raises(StoreError, match="cannot be changed"):
        store.update_experiment(ref.id, lambda d: {**d, "title": "other"})
    assert store.load_experiment(ref.id)["title"] == "t"


def test_corrupt_experiment_is_reported_not_reset(store: Store) -> None:
    ref = store.create_experiment("t", {"n": 0})
    file = ref.path / "experiment.json"
    file.write_text('{"n": ')
    with pytest.raises(CorruptMetadataError) as caught:
        store.load_experiment(ref.id)
    assert caught.value.path == file
    with pytest.raises(CorruptMetadataError):
        store.update_experiment(ref.id, lambda d: d)
    assert file.read_text() == '{"n": '


def test_jobs_with_repeated_names_get_distinct_dirs(store: Store) -> None:
    ref = store.create_experiment("t")
    dirs = [store.add_job_dir(ref.id, "train") for _ in range(3)]
    assert [d.name for d in dirs] == ["train", "train_1", "train_2"]
    # logs/ and the rest are made by whatever writes there first (the backend starting the job)
    assert all(sorted(p.name for p in d.iterdir()) == ["job.json"] for d in dirs)
    for job_dir in dirs:
        store.write_job(ref.id, job_dir.name, {"task": {"fn": "f"}, "executor": {"kind": "local"}})
    jobs = store.jobs(ref.id)
    assert [j.id for j in jobs] == ["train", "train_1", "train_2"]
    assert all(j.name == "train" for j in jobs)
    assert jobs[1]["task"] == {"fn": "f"}
    assert jobs[1].content == {"task": {"fn": "f"}, "executor": {"kind": "local"}}
    store.write_job(ref.id, "train_1", {"task": {"fn": "g"}})
    assert "executor" not in store.load_job(ref.id, "train_1")
    with pytest.raises(StoreError, match="'handle'"):
        store.write_job(ref.id, "train", {"handle": "x"})
    with pytest.raises(StoreError, match="'written'"):
        store.write_job(ref.id, "train", {"written": 1.0})
    with pytest.raises(JobNotFoundError):
        store.load_job(ref.id, "nope")


def test_caller_state_keys_are_typed_and_checked(store: Store) -> None:
    ref = store.create_experiment("t")
    job_id = add_job(store, ref.id, "j")
    record = store.write_job(
        ref.id, job_id,
        {"state": "FAILED", "reason": "TIMEOUT", "retries": 2, "exit_code": 1,
         "message": "time limit", "updated": time.time() + 5},
    )  # fmt: skip
    assert (record.state, record.reason, record.retries) == (
        JobState.FAILED,
        FailureReason.TIMEOUT,
        2,
    )
    assert (record.exit_code, record.message) == (1, "time limit")
    with pytest.raises(
        StoreError, match=r"refusing to write .*'state' is 'DONE', expected null or"
    ):
        store.write_job(ref.id, job_id, {"state": "DONE"})
    with pytest.raises(StoreError, match="'retries' is 'two', expected an integer"):
        store.write_job(ref.id, job_id, {"retries": "two"})
    assert store.load_job(ref.id, job_id).reason is FailureReason.TIMEOUT  # nothing written


def test_intent_then_submitted(store: Store) -> None:
    ref = store.create_experiment("t")
    store.add_job_dir(ref.id, "train")
    with pytest.raises(StoreError, match="write_job"):
        store.record_intent(ref.id, "train", "slurm")  # no content yet
    store.write_job(ref.id, "train", {"state": "UNSUBMITTED", "updated": time.time()})
    with pytest.raises(StoreError, match="record_intent"):
        store.record_submitted(ref.id, "train", "slurm://c/1")
    intent = store.record_intent(
        ref.id, "train", "slurm", details={"cluster": "c", "commands": [["python", "-c", "1"]]}
    )
    assert isinstance(intent, Intent)
    assert intent.backend_job_name == backend_job_name(ref.id, "train")
    assert intent.launcher_running() is True
    job = store.load_job(ref.id, "train")
    assert job.intent == intent
    assert job.commands == [["python", "-c", "1"]]
    assert (job.handle, job.state) == (None, JobState.UNKNOWN)  # newer than the caller's state
    assert store.list_experiments()[0].states == {"UNKNOWN": 1}
    with pytest.raises(StoreError, match="unresolved"):
        store.record_intent(ref.id, "train", "slurm")
    job = store.record_submitted(ref.id, "train", "slurm://c/1", submitted=intent.at + 1)
    assert (job.state, job.handles) == (JobState.SUBMITTED, ("slurm://c/1",))
    assert store.list_experiments()[0].states == {"SUBMITTED": 1}
    store.record_intent(ref.id, "train", "slurm")  # a resubmission keeps the first attempt
    job = store.load_job(ref.id, "train")
    assert job.attempts[0].handle == "slurm://c/1"
    assert job.attempts[0].intent == intent
    assert store.resolve_backend_job_name(intent.backend_job_name) == (ref.id, "train")
    assert store.resolve_backend_job_name("nr.1.2") is None


def test_find_by_id_and_title(store: Store) -> None:
    first = store.create_experiment("alpha")
    second = store.create_experiment("alpha")
    store.create_experiment("alpha_beta")
    assert store.find(first.id) == first
    assert store.find("alpha") == second
    with pytest.raises(ExperimentNotFoundError) as caught:
        store.find("alpah")
    assert "alpha" in caught.value.close_matches
    assert "did you mean" in str(caught.value)
    with pytest.raises(ExperimentNotFoundError):
        store.find("alpha_1000000000000000000")


def test_list_and_states(store: Store) -> None:
    a = store.create_experiment("a")
    b = store.create_experiment("b")
    add_job(store, a.id, "x")
    add_job(store, a.id, "y")
    assert [s.id for s in store.list_experiments()] == [a.id, b.id]
    assert store.list_experiments("a")[0].states == {"UNSUBMITTED": 2}
    assert [s.id for s in store.list_experiments("b")] == [b.id]
    now = time.time() + 10
    assert store.update_states({(a.id, "x"): ("RUNNING", now), (a.id, "y"): ("FAILED", now)}) == 2
    assert store.update_states({(a.id, "x"): (JobState.PENDING, now - 5)}) == 0  # older: ignored
    with pytest.raises(ValueError, match="DONE"):
        store.update_states({(a.id, "x"): ("DONE", now + 1)})
    summary = store.list_experiments("a")[0]
    assert summary.jobs == 2
    assert summary.states == {"RUNNING": 1, "FAILED": 1}
    assert summary.path == a.path


def test_rebuild_matches_and_keeps_newer_states(store: Store) -> None:
    a = store.create_experiment("a")
    add_job(store, a.id, "x")
    store.update_states({(a.id, "x"): ("RUNNING", time.time() + 10)})
    before = store.list_experiments()
    report = store.rebuild_catalog()
    assert (report.experiments, report.jobs, report.skipped) == (1, 1, [])
    assert store.list_experiments() == before


def test_rebuild_takes_each_state_from_job_json(store: Store) -> None:
    ref = store.create_experiment("t")
    ended = {"ok": "SUCCEEDED", "bad": "FAILED", "stopped": "CANCELLED"}
    for name, state in ended.items():
        job_id = add_job(store, ref.id, name, state="UNSUBMITTED", updated=time.time())
        intent = store.record_intent(ref.id, job_id, "local")
        store.record_submitted(ref.id, job_id, f"local://h/{name}", submitted=intent.at + 1)
        store.write_job(ref.id, job_id, {"state": state, "updated": intent.at + 2})
    add_job(store, ref.id, "waiting", state="UNSUBMITTED", updated=time.time())
    store.catalog.path.unlink()
    report = store.rebuild_catalog()
    assert (report.jobs, report.skipped) == (4, [])
    states = store.list_experiments()[0].states
    assert states == {"SUCCEEDED": 1, "FAILED": 1, "CANCELLED": 1, "UNSUBMITTED": 1}


def test_rebuild_reports_corrupt_and_incomplete(store: Store) -> None:
    good = store.create_experiment("t")
    bad = store.create_experiment("t")
    (bad.path / "experiment.json").write_text("{")
    job = store.add_job_dir(good.id, "j")
    (job / "job.json").write_text("[]")
    (good.path / "half").mkdir()
    never_written = store.add_job_dir(good.id, "k")
    report = store.rebuild_catalog()
    assert report.experiments == 1
    assert report.jobs == 0
    reasons = {s.path: s.reason for s in report.skipped}
    assert "invalid JSON" in reasons[bad.path / "experiment.json"]
    assert "JSON object" in reasons[job / "job.json"]
    assert reasons[good.path / "half"].startswith("incomplete job: it has no job.json")
    assert "only the store's keys" in reasons[never_written]
    assert "delete the directory" in reasons[never_written]


def test_incomplete_jobs_are_skipped_with_a_warning(store: Store) -> None:
    ref = store.create_experiment("t")
    kept = add_job(store, ref.id, "kept")
    never_written = store.add_job_dir(ref.id, "never_written")
    (ref.path / "no_file").mkdir()
    with pytest.warns(StoreWarning) as caught:
        assert [job.id for job in store.jobs(ref.id)] == [kept]
    messages = sorted(str(w.message) for w in caught)
    assert messages[0].startswith(f"skipped incomplete job {ref.path / 'never_written'}: ")
    assert messages[1].startswith(f"skipped incomplete job {ref.path / 'no_file'}: it has no")
    assert all("delete the directory" in m for m in messages)
    with pytest.raises(IncompleteJobError) as error:
        store.load_job(ref.id, "never_written")
    assert error.value.path == never_written
    with pytest.raises(IncompleteJobError, match=r"it has no job\.json"):
        store.load_job(ref.id, "no_file")
    assert store.list_experiments()[0].jobs == 1  # only complete jobs are indexed


def test_a_listed_job_whose_directory_is_missing_is_reported(store: Store) -> None:
    ref = store.create_experiment("t", {"jobs": ["gone", "kept"]})
    add_job(store, ref.id, "kept")
    with pytest.warns(StoreWarning, match=r"lists job 'gone' but its directory is missing"):
        assert [job.id for job in store.jobs(ref.id)] == ["kept"]


def test_missing_stale_or_corrupt_catalog_is_rebuilt_on_list(store: Store) -> None:
    ref = store.create_experiment("t")
    store.catalog.path.unlink()
    assert [s.id for s in store.list_experiments()] == [ref.id]
    store.catalog.stale_path.touch()
    assert [s.id for s in store.list_experiments()] == [ref.id]
    assert not store.catalog.stale_path.exists()
    for suffix in ("-wal", "-shm"):
        store.catalog.path.with_name("catalog.sqlite3" + suffix).unlink(missing_ok=True)
    store.catalog.path.write_bytes(b"this is not a database" * 100)
    (store.experiments_root / "t" / "t_1000000000000000000").mkdir()
    with pytest.warns(StoreWarning, match="no experiment.json"):
        assert [s.id for s in store.list_experiments()] == [ref.id]
    moved = list(store.home.glob("catalog.sqlite3.corrupt-*"))
    assert len(moved) == 1
    assert moved[0].read_bytes().startswith(b"this is not")


def test_failed_catalog_write_marks_stale_and_files_win(store: Store) -> None:
    ref = store.create_experiment("t")
    conn = sqlite3.connect(store.catalog.path, timeout=0)
    try:
        conn.execute("BEGIN EXCLUSIVE")  # a foreign process holding the database
        store.catalog.timeout = 0.2
        second = store.create_experiment("t")  # file writes succeed, catalog write cannot
        assert store.catalog.stale_path.exists()
    finally:
        conn.rollback()
        conn.close()
    assert [s.id for s in store.list_experiments()] == [ref.id, second.id]


def test_files_are_plain_json(store: Store) -> None:
    ref = store.create_experiment("t", {"k": "v"})
    add_job(store, ref.id, "j")
    store.save_main_source(ref.id, "print(1)\n")
    assert json.loads((ref.path / "experiment.json").read_text())["k"] == "v"
    job = json.loads((ref.path / "j" / "job.json").read_text())
    assert (job["id"], job["format"], job["kind"]) == ("j", JobRecord.FORMAT, "job")
    assert (ref.path / "main.py").read_text() == "print(1)\n"
