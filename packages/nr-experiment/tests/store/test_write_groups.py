"""Grouped writes: deferred fsyncs, one kept-open catalog connection, catalog status summaries."""

import os
import sqlite3
import time
from pathlib import Path

import pytest
from nr_experiment import Experiment
from nr_experiment.store import Store
from nr_experiment.store import catalog as catalog_module
from nr_experiment.store.summaries import file_identity
from nr_experiment.store.syncs import SYNCFS_FROM
from nr_experiment.store.written import WrittenJobs

JOBS = 20


class FsyncCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = os.fsync

        def counting(fd: int) -> None:
            self.calls += 1
            real(fd)

        monkeypatch.setattr(os, "fsync", counting)


def add_jobs(store: Store, experiment_id: str, count: int, **content: object) -> list[str]:
    ids = []
    for n in range(count):
        job_id = store.add_job_dir(experiment_id, f"job{n}").name
        store.write_job(experiment_id, job_id, {"kind": "job", **content})
        ids.append(job_id)
    return ids


def test_a_small_write_group_syncs_once_per_file_and_directory_on_leaving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("grouped").id
    store.flush()  # nothing left by an earlier test
    fsyncs = FsyncCounter(monkeypatch)
    small = (SYNCFS_FROM - 2) // 2
    with store.write_group():
        ids = add_jobs(store, eid, small)
        assert fsyncs.calls == 0
        assert [job.id for job in store.jobs(eid)] == ids  # visible before the flush
    # one job.json and one job directory per job, and the experiment's directory
    assert fsyncs.calls == 2 * small + 1
    assert store.flush() == 0


def test_a_large_write_group_syncs_its_filesystem_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("large").id
    store.flush()
    fsyncs = FsyncCounter(monkeypatch)
    with store.deferred_syncs():
        add_jobs(store, eid, SYNCFS_FROM)
    assert store.syncs.pending == 2 * SYNCFS_FROM + 1
    assert store.flush() == 1  # one syncfs for the one filesystem
    assert fsyncs.calls == 0
    assert store.syncs.pending == 0


def test_writes_outside_a_group_are_durable_when_they_return(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("ungrouped").id
    store.flush()
    fsyncs = FsyncCounter(monkeypatch)
    add_jobs(store, eid, 1)
    assert fsyncs.calls >= 4  # directory, then job.json twice (file and directory each)
    assert store.flush() == 0


def test_deferred_syncs_wait_for_flush_and_survive_a_deleted_experiment(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    with store.deferred_syncs():
        eid = store.create_experiment("deferred").id
        add_jobs(store, eid, 3)
    assert store.syncs.pending > 0
    store.delete_experiment(eid)
    assert store.flush() >= 1  # the home's directories remain; the deleted files are skipped
    assert store.syncs.pending == 0


def test_the_catalog_keeps_one_connection_for_its_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("one-connection").id
    opened: list[object] = []
    real = sqlite3.connect

    def counting(*args: object, **kwargs: object) -> sqlite3.Connection:
        opened.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_module.sqlite3, "connect", counting)
    add_jobs(store, eid, JOBS)
    assert len(opened) == 0  # the connection opened by create_experiment is reused
    (tmp_path / "home" / "catalog.sqlite3").unlink()
    add_jobs(store, eid, 1)
    assert len(opened) == 1  # a replaced database is reopened
    store.catalog.close()


def ended_experiment(store: Store) -> str:
    eid = store.create_experiment("ended").id
    ids = add_jobs(
        store, eid, 3, state="SUCCEEDED", updated=time.time() + 1, exit_code=0, executor_info="L"
    )
    store.update_experiment(eid, lambda data: {**data, "jobs": ids})
    return eid


def test_job_summaries_vouch_only_for_unchanged_files(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    eid = ended_experiment(store)
    listed = [job.id for job in store.jobs(eid)]
    found = store.job_summaries(eid, listed)
    assert found is not None
    assert [(job_id, summary["state"]) for job_id, _, summary in found] == [
        (job_id, "SUCCEEDED") for job_id in listed
    ]
    assert store.job_summaries(eid, listed[:-1]) is None  # a job experiment.json does not list
    job_file = store.job_dir(eid, listed[0]) / "job.json"
    job_file.write_text(job_file.read_text())  # rewritten behind the store's back
    assert store.job_summaries(eid, listed) is None


def test_status_of_ended_jobs_reads_the_catalog_not_the_job_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    eid = ended_experiment(Store(home))
    (home / "catalog.stale").touch()  # the catalog cannot vouch: the files are read
    from_files = Experiment.from_id(eid, base_dir=home).status(return_dict=True)
    Store(home).rebuild_catalog()

    def no_reads(self: Store, experiment_id: str) -> list[object]:
        raise AssertionError("status of ended jobs read the job files")

    monkeypatch.setattr(Store, "jobs", no_reads)
    from_catalog = Experiment.from_id(eid, base_dir=home).status(return_dict=True)
    assert from_catalog == from_files
    assert from_files is not None
    assert [row["status"] for row in from_files.values()] == ["SUCCEEDED"] * 3


def test_a_job_added_with_its_content_is_written_once_and_complete(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("once").id
    seen: list[Path] = []

    def content(job_dir: Path) -> dict[str, object]:
        seen.append(job_dir)
        return {"kind": "job", "where": job_dir.name}

    job_dir = store.add_job_dir(eid, "train", content=content)
    assert seen == [job_dir]
    (record,) = store.jobs(eid)
    assert record.complete
    assert record["where"] == "train"
    assert not [p for p in job_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_job_whose_content_fails_leaves_no_directory(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("refused").id

    def content(job_dir: Path) -> dict[str, object]:
        return {"kind": "job", "bad": object()}

    with pytest.raises(TypeError):
        store.add_job_dir(eid, "train", content=content)
    assert [p.name for p in store.experiment_dir(eid).iterdir() if p.is_dir()] == []


def test_a_write_group_indexes_its_jobs_when_it_is_left(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("indexed").id
    with store.write_group():
        ids = add_jobs(store, eid, 3, state="RUNNING")
        assert store.catalog.job_summaries(eid) == []  # not vouched for before the flush
    indexed = store.catalog.job_summaries(eid)
    assert indexed is not None
    assert sorted(row.job_id for row in indexed) == sorted(ids)


def test_a_job_file_changed_by_another_writer_is_read_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    mine, other = Store(home), Store(home)
    eid = mine.create_experiment("two-writers").id
    (job_id,) = add_jobs(mine, eid, 1)
    other.write_job(eid, job_id, {"kind": "job", "cancel_requested": True})
    mine.record_intent(eid, job_id, "local")
    record = mine.load_job(eid, job_id)
    assert record["cancel_requested"] is True  # the other writer's content was kept
    assert record.intent is not None


def test_a_job_file_is_written_one_key_per_line(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("readable").id
    (job_id,) = add_jobs(store, eid, 1, tasks=[{"a": 1}])
    lines = (store.job_dir(eid, job_id) / "job.json").read_text().splitlines()
    assert (lines[0], lines[-1]) == ("{", "}")
    assert '  "tasks": [{"a": 1}],' in lines


def test_the_files_a_store_remembers_are_bounded_and_the_forgotten_are_read_again(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "home")
    eid = store.create_experiment("bounded").id
    ids = add_jobs(store, eid, 3, state="RUNNING")
    kept = WrittenJobs(kept=2)
    for job_id in ids:
        file = store.job_dir(eid, job_id) / "job.json"
        kept.remember(str(file), file_identity(file), store.load_job(eid, job_id))
    assert len(kept) == 2
    first, *rest = (str(store.job_dir(eid, job_id) / "job.json") for job_id in ids)
    assert kept.current(first) is None  # written longest ago: forgotten
    for file in rest:
        found = kept.current(file)
        assert found is not None
        assert found[0].state.value == "RUNNING"
        assert found[1]["state"] == "RUNNING"
    store.write_job(eid, ids[1], {"kind": "job", "state": "SUCCEEDED"})
    assert kept.current(rest[0]) is None  # replaced since by another write: read it again
