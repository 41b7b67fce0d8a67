"""Issue 15, item 3: job ids as NeMo-Run makes them, addressed by ``exp.logs`` and the CLI.

An unnamed job is ``<module>.<qualname>`` (the script's file stem for ``__main__``); a repeated
name gets ``_<number of jobs so far>``. Ids of stores written before (``name-1``) still open.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

LIB = """
def fit():
    print("fit ran")
"""

TRAIN = """
import nemo_run as run
import mylib


def train(tag: str = "") -> None:
    print(f"train ran {tag}")


class Recipes:
    @staticmethod
    def pretrain() -> None:
        print("pretrain ran")


if __name__ == "__main__":
    with run.Experiment("ids", executor=run.LocalExecutor(), clean_mode=True) as exp:
        ids = [
            exp.add(run.Partial(train, tag="first")),
            exp.add(run.Partial(train, tag="second")),
            exp.add(run.Partial(mylib.fit)),
            exp.add(run.Partial(Recipes.pretrain)),
            exp.add(run.Partial(train, tag="third")),
        ]
        exp.run()
    print(exp.id)
    print(" ".join(ids))
    exp.logs("train.train_1")
"""

OLD_STORE = """
import nemo_run as run

with run.Experiment("old", clean_mode=True) as exp:
    exp.add(run.Script(inline="echo one"), name="same")
    exp.add(run.Script(inline="echo two"), name="same")
    exp.run(direct=True)
print(exp.id)
"""

OPEN_OLD = """
import sys
import nemo_run as run

exp = run.Experiment.from_id(sys.argv[1])
print(" ".join(job.id for job in exp.jobs))
exp.logs("same-1")
exp.logs(job_id=1)
print(exp.status(return_dict=True)["same-1"]["status"])
"""


def _nemorun(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("nemorun")), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _python(cwd: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def test_unnamed_jobs_are_module_qualname_and_repeats_get_underscore_numbers(
    home: Path, tmp_path: Path
) -> None:
    (tmp_path / "mylib.py").write_text(LIB)
    (tmp_path / "train.py").write_text(TRAIN)
    experiment_id, ids, *logs = _python(tmp_path, "train.py")
    assert ids.split() == [
        "train.train",
        "train.train_1",
        "mylib.fit",
        "train.Recipes.pretrain",
        "train.train_4",
    ]
    assert logs == ["train ran second"]
    shown = _nemorun("experiment", "logs", experiment_id, "train.train_4")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "train ran third"
    unknown = _nemorun("experiment", "logs", experiment_id, "train.train-1")
    assert unknown.returncode == 3
    assert "no such job: 'train.train-1'" in unknown.stderr


def test_ids_of_an_older_store_still_open(home: Path, tmp_path: Path) -> None:
    *_, experiment_id = _python(tmp_path, "-c", OLD_STORE)
    # Make the store the previous release wrote: the repeated name's id was ``same-1``.
    exp_dir = next((home / "experiments" / "old").iterdir())
    shutil.move(exp_dir / "same_1", exp_dir / "same-1")
    for file, key in ((exp_dir / "same-1" / "job.json", "id"), (exp_dir / "experiment.json", "")):
        data = json.loads(file.read_text())
        if key:
            data[key] = "same-1"
        else:
            data["jobs"] = ["same", "same-1"]
            data["dependencies"] = {"same": [], "same-1": []}
        file.write_text(json.dumps(data))
    (home / "catalog.sqlite3").unlink()
    before = sorted(p.name for p in exp_dir.iterdir())

    assert _python(tmp_path, "-c", OPEN_OLD, experiment_id) == [
        "same same-1",
        "two",
        "two",
        "SUCCEEDED",
    ]
    shown = _nemorun("experiment", "logs", experiment_id, "same-1")
    assert (shown.returncode, shown.stdout.strip()) == (0, "two")
    assert sorted(p.name for p in exp_dir.iterdir()) == before  # opening ran nothing
