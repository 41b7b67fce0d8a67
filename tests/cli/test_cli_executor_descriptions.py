"""``experiment status`` describes every job's executor, however many jobs there are."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from nr_cli.commands.common import DESCRIBED_UP_TO

Nemorun = Callable[..., subprocess.CompletedProcess[str]]

# A sweep whose jobs are added and never run: each point's executor differs from the others.
SWEEP = """
import sys
import nr_experiment
from nr_config import Partial
from nr_exec import LocalExecutor

def talk(word: str):
    print(word, flush=True)

if __name__ == "__main__":
    count = int(sys.argv[1])
    with nr_experiment.Experiment("sweep") as exp:
        for index in range(count):
            executor = LocalExecutor(env_vars={"POINT": str(index)}, ntasks_per_node=2)
            exp.add(Partial(talk, word=str(index)), executor=executor, name=f"point_{index}")
    print(exp.id)
"""

# Rewrites the named jobs as an older version recorded them: without their description.
FORGET = """
import sys
from nr_experiment.store import Store

store = Store()
for job_id in sys.argv[2:]:
    job = store.load_job(sys.argv[1], job_id)
    kept = {k: v for k, v in job.items() if k not in type(job).STORE_KEYS}
    assert kept.pop("executor_description")
    store.write_job(sys.argv[1], job_id, kept)
print("forgotten")
"""


def _expected(index: int) -> str:
    return f"LocalExecutor(env_vars={{'POINT': '{index}'}}, ntasks_per_node=2)"


def _json_executors(nemorun: Nemorun, home: Path, experiment_id: str) -> dict[str, str]:
    status = nemorun(home, "experiment", "status", experiment_id, "--json")
    assert status.returncode == 0, status.stderr
    return {job["name"]: job["executor"] for job in json.loads(status.stdout)["jobs"]}


def test_a_sweep_beyond_the_file_reading_limit_is_described_to_its_last_job(
    tmp_path: Path, make_experiment: Callable[..., str], nemorun: Nemorun
) -> None:
    count = DESCRIBED_UP_TO + 1
    experiment_id = make_experiment(tmp_path, str(count), script=SWEEP)
    home = tmp_path / "home"
    table = nemorun(home, "experiment", "status", experiment_id)
    assert table.returncode == 0, table.stderr
    last = table.stdout.splitlines()[-1]
    assert last.startswith(f"point_{count - 1} ")
    assert _expected(count - 1) in last
    executors = _json_executors(nemorun, home, experiment_id)
    assert executors == {f"point_{index}": _expected(index) for index in range(count)}


def test_jobs_recorded_without_a_description_are_described_from_their_files(
    tmp_path: Path, make_experiment: Callable[..., str], nemorun: Nemorun
) -> None:
    experiment_id = make_experiment(tmp_path, "3", script=SWEEP)
    home = tmp_path / "home"
    make_experiment(tmp_path, experiment_id, "point_0", "point_2", script=FORGET)
    record = json.loads(next(home.rglob("point_0/job.json")).read_text())
    assert "executor_description" not in record
    assert "executor_info" in record
    executors = _json_executors(nemorun, home, experiment_id)
    assert executors == {f"point_{index}": _expected(index) for index in range(3)}
