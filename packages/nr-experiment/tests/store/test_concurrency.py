"""Many processes writing one home at once lose nothing; the catalog agrees with a rebuild."""

import subprocess
import sys
from pathlib import Path

from nr_experiment.store import Store

PROCESSES = 8
EXPERIMENTS = 8

WORKER = """
import sys
from pathlib import Path
from nr_experiment.store import Store

store = Store(Path(sys.argv[1]))
worker, count, shared = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for n in range(count):
    ref = store.create_experiment("race", {"worker": worker, "n": n})
    for name in ("train", "train"):
        job = store.add_job_dir(ref.id, name).name
        store.write_job(ref.id, job, {"kind": "job"})
        store.record_intent(ref.id, job, "local")
        store.record_submitted(ref.id, job, f"local://host/{worker}-{n}-{job}")
    store.write_job(shared, store.add_job_dir(shared, "same").name, {"kind": "job"})

    def append(data, worker=worker, n=n):
        data["log"].append([worker, n])
        return data

    store.update_experiment(shared, append)
print("done")
"""


def test_processes_racing_lose_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store(home)
    shared = store.create_experiment("shared", {"log": []}).id
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(home), str(w), str(EXPERIMENTS), shared],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(PROCESSES)
    ]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "done"

    total = PROCESSES * EXPERIMENTS
    log = store.load_experiment(shared)["log"]
    assert sorted(map(tuple, log)) == [(w, n) for w in range(PROCESSES) for n in range(EXPERIMENTS)]
    assert len(store.jobs(shared)) == total
    assert len({j.id for j in store.jobs(shared)}) == total

    listed = store.list_experiments("race")
    assert len(listed) == total
    assert len({s.id for s in listed}) == total
    assert {(s.jobs, tuple(s.states.items())) for s in listed} == {(2, (("SUBMITTED", 2),))}
    on_disk = sorted(p.name for p in (home / "experiments" / "race").iterdir())
    assert sorted(s.id for s in listed) == on_disk
    for summary in listed:
        assert [j.id for j in store.jobs(summary.id)] == ["train", "train_1"]

    everything = store.list_experiments()
    assert not store.catalog.stale_path.exists()
    report = store.rebuild_catalog()
    assert report.skipped == []
    assert report.experiments == total + 1
    assert report.jobs == 2 * total + total
    assert store.list_experiments() == everything
