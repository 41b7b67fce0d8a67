"""A submit step's intents and handles written as one journal file, read with each job.json."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from nr_exec.states import JobState
from nr_experiment.store import IntentRequest, Store, StoreError, SubmittedRequest
from nr_experiment.store.journal import JOURNAL_DIR

JOBS = 5


def make_jobs(home: Path, count: int = JOBS) -> tuple[Store, str, list[str]]:
    store = Store(home)
    eid = store.create_experiment("journaled").id
    ids = []
    for n in range(count):
        job_id = store.add_job_dir(eid, f"job{n}").name
        store.write_job(eid, job_id, {"kind": "job", "n": n})
        ids.append(job_id)
    return store, eid, ids


def job_files(store: Store, eid: str, ids: list[str]) -> dict[str, str]:
    return {job_id: (store.job_dir(eid, job_id) / "job.json").read_text() for job_id in ids}


def journals(store: Store, eid: str) -> list[str]:
    directory = store.experiment_dir(eid) / JOURNAL_DIR
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []


def test_a_step_of_many_jobs_writes_one_journal_and_leaves_job_files_alone(
    tmp_path: Path,
) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    before = job_files(store, eid, ids)
    with store.write_group():
        intents = store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    store.record_submits(eid, [SubmittedRequest(j, f"toy://here/{j}") for j in ids])
    assert job_files(store, eid, ids) == before  # no job.json was rewritten
    assert len(journals(store, eid)) == 2  # the intents, then the handles
    fresh = Store(tmp_path / "home")  # another process: files and journals only
    for job_id, intent in zip(ids, intents, strict=True):
        record = fresh.load_job(eid, job_id)
        assert record.handle == f"toy://here/{job_id}"
        assert record.intent == intent
        assert record.state is JobState.SUBMITTED
        assert record["n"] == ids.index(job_id)  # the caller's content is still there
    assert [r.handle for r in fresh.jobs(eid)] == [f"toy://here/{j}" for j in ids]


def test_an_intent_journal_alone_leaves_the_jobs_in_doubt_for_any_reader(tmp_path: Path) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    with store.write_group():
        store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    # the launcher is killed here: no handle was ever recorded
    fresh = Store(tmp_path / "home")
    records = fresh.jobs(eid)
    assert all(r.intent is not None and r.handle is None for r in records)
    assert all(r.state is not JobState.UNSUBMITTED for r in records)
    summaries = fresh.job_summaries(eid, ids)
    assert summaries is not None  # the catalog rows were made from the journaled content
    assert [s["state"] for _, _, s in summaries] == [r.state.value for r in records]
    with pytest.raises(StoreError, match="unresolved submit intent"):
        fresh.record_intents(eid, [IntentRequest(j, "toy") for j in ids])


def test_a_refused_request_in_a_step_writes_nothing(tmp_path: Path) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    store.record_intent(eid, ids[-1], "toy")  # unresolved: the step must refuse
    before = job_files(store, eid, ids)
    with pytest.raises(StoreError, match="unresolved"):
        store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    assert job_files(store, eid, ids) == before
    assert journals(store, eid) == []


def test_a_later_write_carries_the_overlay_on_and_the_journal_is_pruned(tmp_path: Path) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    store.record_submits(eid, [SubmittedRequest(j, f"toy://here/{j}") for j in ids])
    fresh = Store(tmp_path / "home")
    for job_id in ids:  # e.g. a status process recording each job's end
        fresh.write_job(eid, job_id, {"kind": "job", "state": "SUCCEEDED", "updated": time.time()})
    on_disk = [json.loads(text) for text in job_files(store, eid, ids).values()]
    assert [job["handle"] for job in on_disk] == [f"toy://here/{j}" for j in ids]
    assert all(job["intent"] is not None for job in on_disk)
    Store(tmp_path / "home").jobs(eid)  # a reader drops journals nothing reads any more
    assert journals(store, eid) == []
    assert all(r.state is JobState.SUCCEEDED for r in Store(tmp_path / "home").jobs(eid))


def test_a_stale_catalog_row_is_not_trusted_after_a_journal_it_never_saw(
    tmp_path: Path,
) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    assert store.job_summaries(eid, ids) is not None
    # a launcher killed after its journal was written but before its catalog rows were
    script = (
        "import os, sys\n"
        "from pathlib import Path\nfrom nr_experiment.store import Store, IntentRequest\n"
        "store = Store(Path(sys.argv[1]))\n"
        "store.catalog.defer = lambda *rows: os._exit(0)\n"
        "with store.write_group():\n"
        "    store.record_intents(sys.argv[2], [IntentRequest(j, 'toy') for j in sys.argv[3:]])\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "home"), eid, *ids],
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert len(journals(store, eid)) == 1
    fresh = Store(tmp_path / "home")
    assert fresh.job_summaries(eid, ids) is None  # read the files (and the journal) instead
    assert all(r.intent is not None for r in fresh.jobs(eid))


def test_a_second_submit_step_keeps_each_record_it_read_unchanged(tmp_path: Path) -> None:
    """Journaled updates share values with the records read: none is changed in place."""
    store, eid, ids = make_jobs(tmp_path / "home")
    store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    first = store.record_submits(eid, [SubmittedRequest(j, f"toy://here/{j}") for j in ids])
    store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    second = store.record_submits(eid, [SubmittedRequest(j, f"toy://again/{j}") for j in ids])
    assert [r["attempts"] for r in first] == [[]] * len(ids)  # as returned the first time
    assert [r.handle for r in first] == [f"toy://here/{j}" for j in ids]
    for job_id, record in zip(ids, second, strict=True):
        assert [a["handle"] for a in record["attempts"]] == [f"toy://here/{job_id}"]
        assert Store(tmp_path / "home").load_job(eid, job_id)["attempts"] == record["attempts"]


def _forbid_journal_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every journal read through ``store`` (none is expected)."""
    read: list[str] = []
    monkeypatch.setattr(store._journals, "overlays", lambda exp_dir: read.append(str(exp_dir)))
    return read


def test_a_reader_trusts_rows_of_journals_the_catalog_lists_without_reading_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    store.record_submits(eid, [SubmittedRequest(j, f"toy://here/{j}") for j in ids])
    names = journals(store, eid)
    assert store.catalog.known_journals(eid) == frozenset(names)
    fresh = Store(tmp_path / "home")
    read = _forbid_journal_reads(fresh, monkeypatch)
    summaries = fresh.job_summaries(eid, ids)
    assert summaries is not None
    assert read == []
    assert [s["handles"] for _, _, s in summaries] == [[f"toy://here/{j}"] for j in ids]
    assert {s["state"] for _, _, s in summaries} == {"SUBMITTED"}


def test_a_listed_journal_that_is_gone_is_not_trusted(tmp_path: Path) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    store.record_submits(eid, [SubmittedRequest(j, f"toy://here/{j}") for j in ids])
    last = journals(store, eid)[-1]
    (store.experiment_dir(eid) / JOURNAL_DIR / last).unlink()  # the handles are lost
    fresh = Store(tmp_path / "home")
    assert fresh.job_summaries(eid, ids) is None
    assert all(r.handle is None and r.intent is not None for r in fresh.jobs(eid))


def test_a_journal_another_version_wrote_is_read(tmp_path: Path) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    store.record_submits(eid, [SubmittedRequest(j, f"toy://here/{j}") for j in ids])
    store.catalog.forget_journals(eid, journals(store, eid))  # as if it never listed them
    fresh = Store(tmp_path / "home")
    summaries = fresh.job_summaries(eid, ids)
    assert summaries is not None  # the rows match what the journals say
    assert [s["handles"] for _, _, s in summaries] == [[f"toy://here/{j}"] for j in ids]


def test_an_older_journals_row_committed_late_does_not_replace_a_newer_one(
    tmp_path: Path,
) -> None:
    """Two launchers' flushes may commit out of order: the newer journal's row stays."""
    store, eid, ids = make_jobs(tmp_path / "home")
    other = Store(tmp_path / "home")
    with store.write_group():
        store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
        # another thread, not in the group: its rows (the handles) are committed first
        submits = [SubmittedRequest(j, f"toy://here/{j}") for j in ids]
        thread = threading.Thread(target=other.record_submits, args=(eid, submits))
        thread.start()
        thread.join()
        assert other.catalog.known_journals(eid) == frozenset(journals(store, eid)[1:])
    fresh = Store(tmp_path / "home")
    summaries = fresh.job_summaries(eid, ids)
    assert summaries is not None
    assert [s["handles"] for _, _, s in summaries] == [[f"toy://here/{j}"] for j in ids]


def test_pruned_journals_are_no_longer_listed_and_a_rebuild_lists_those_there(
    tmp_path: Path,
) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    for job_id in ids:
        store.write_job(eid, job_id, {"kind": "job", "state": "SUCCEEDED", "updated": time.time()})
    store.jobs(eid)  # prunes the journal no job.json uses any more
    assert journals(store, eid) == []
    assert store.catalog.known_journals(eid) == frozenset()
    store.record_submits(eid, [SubmittedRequest(j, f"toy://here/{j}") for j in ids])
    store.catalog.forget_journals(eid, journals(store, eid))
    store.rebuild_catalog()
    assert store.catalog.known_journals(eid) == frozenset(journals(store, eid))
    assert Store(tmp_path / "home").job_summaries(eid, ids) is not None


def test_a_writer_does_not_read_back_the_journal_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, eid, ids = make_jobs(tmp_path / "home")
    store.record_intents(eid, [IntentRequest(j, "toy") for j in ids])
    read_back: list[str] = []
    original = Path.read_text

    def read_text(path: Path, *args: object, **kwargs: object) -> str:
        if path.parent.name == JOURNAL_DIR:
            read_back.append(path.name)
        return original(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)
    records = store.record_submits(eid, [SubmittedRequest(j, f"toy://here/{j}") for j in ids])
    assert read_back == []
    assert [r.handle for r in records] == [f"toy://here/{j}" for j in ids]
    assert all(r.intent is not None for r in records)
    Store(tmp_path / "home").jobs(eid)  # another process reads both journals from the files
    assert len(read_back) == 2
