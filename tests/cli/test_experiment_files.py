"""What ``nemorun experiment`` shows from the store's files after things went wrong.

Real experiments run in subprocesses (the local backend, real processes): a catalog deleted and
rebuilt, a launcher SIGKILLed inside ``Experiment.add()``, and ``NEMORUN_HOME='~/x'``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENDINGS = """
import sys
import nemo_run as run


def ok() -> None:
    print("fine")


def bad() -> None:
    raise SystemExit(3)


if __name__ == "__main__":
    with run.Experiment("ended", executor=run.LocalExecutor()) as exp:
        exp.add(run.Partial(ok), name="ok")
        exp.add(run.Partial(bad), name="bad")
        exp.add(run.Script(inline="sleep 600"), name="slow")
        exp.run(detach=True)
    exp.cancel("slow")
    exp.wait()
    print(exp.id)
"""

#: Adds a job, then dies by SIGKILL at the point named in argv[1] while the second job is added:
#: as its job.json is written, while its content is made (the directory exists, its job.json not
#: yet), or after a writer made the directory with only the store's keys (as releases before did).
KILLED_IN_ADD = """
import os
import signal
import sys
import nemo_run as run
import nr_experiment.store.store as store_module
from nr_exec.testing import FakeExecutor


def work(x: int = 1) -> None:
    print(x)


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    with run.Experiment("killed", executor=FakeExecutor()) as exp:
        exp.add(run.Partial(work, x=1), name="first")
        print(exp.id, flush=True)
        if sys.argv[1] == "store-keys-only":  # a writer that makes the directory, then the content
            exp.store.add_job_dir(exp.id, "second")
            die()
        if sys.argv[1] == "writing-the-job-file":
            store_module.Store._write_job_file = die
        else:  # "making-the-content": the executor's assign hook runs inside add
            FakeExecutor.assign = die
        exp.add(run.Partial(work, x=2), name="second")
"""

#: Jobs that end on the in-memory fake backend, inside this process: one fails with a reason,
#: one succeeds after two failed attempts. Their ends are written to job.json.
REASONS = """
import nemo_run as run
from nr_exec.testing import FakeExecutor


def work() -> None:
    pass


if __name__ == "__main__":
    timeout = {"NR_FAKE_EXIT_CODE": "1", "NR_FAKE_REASON": "TIMEOUT"}
    with run.Experiment("reasons", executor=FakeExecutor()) as exp:
        exp.add(run.Partial(work), name="late", executor=FakeExecutor(env_vars=timeout))
        retried = FakeExecutor(env_vars={"NR_FAKE_FAIL_ATTEMPTS": "2"}, retries=3)
        exp.add(run.Partial(work), name="flaky", executor=retried)
        exp.run()
    print(exp.id)
"""

FROM_ID = """
import sys
import nemo_run as run

experiment = run.Experiment.from_id(sys.argv[1])
print(*(job.id for job in experiment.jobs))
"""

HOME_JOB = """
import nemo_run as run


def ok() -> None:
    print("ran")


if __name__ == "__main__":
    with run.Experiment("tilde", executor=run.LocalExecutor()) as exp:
        exp.add(run.Partial(ok), name="ok")
        exp.run()
    print(exp.id)
"""


def python(
    script: Path, *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args], env=env, cwd=cwd, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip


def nemorun(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from nr_cli.app import main; main()", *args],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "NEMORUN_HOME": str(tmp_path / "home")}


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(source)
    return path


def test_a_rebuilt_catalog_shows_each_finished_jobs_real_state(
    tmp_path: Path, env: dict[str, str]
) -> None:
    made = python(write(tmp_path, "ended.py", ENDINGS), env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    experiment_id = made.stdout.split()[-1]
    expected = {"ok": "SUCCEEDED", "bad": "FAILED", "slow": "CANCELLED"}
    home = Path(env["NEMORUN_HOME"])
    for leftover in home.glob("catalog.sqlite3*"):
        leftover.unlink()
    rebuilt = nemorun(env, "experiment", "rebuild-catalog", "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout) == {"experiments": 1, "jobs": 3, "skipped": []}
    [listed] = json.loads(nemorun(env, "experiment", "list", "--json").stdout)
    assert listed["states"] == {"SUCCEEDED": 1, "FAILED": 1, "CANCELLED": 1}
    status = nemorun(env, "experiment", "status", experiment_id, "--json")
    assert status.returncode == 1  # a job failed
    jobs = json.loads(status.stdout)["jobs"]
    assert {job["id"]: job["status"] for job in jobs} == expected
    assert all(set(job) >= {"reason", "retries"} for job in jobs)
    assert {job["id"]: job["exit_code"] for job in jobs}["bad"] == 3
    text = nemorun(env, "experiment", "status", experiment_id).stdout
    assert "REASON" in text
    assert "RETRIES" in text
    shown = nemorun(env, "experiment", "show", experiment_id)
    for job_id, state in expected.items():
        assert f"Job {job_id}  state={state}" in shown.stdout


def test_status_shows_the_failure_reason_and_the_retries(
    tmp_path: Path, env: dict[str, str]
) -> None:
    made = python(write(tmp_path, "reasons.py", REASONS), env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    experiment_id = made.stdout.split()[-1]
    status = nemorun(env, "experiment", "status", experiment_id, "--json")
    assert status.returncode == 1, status.stderr  # a job failed
    jobs = {job["id"]: job for job in json.loads(status.stdout)["jobs"]}
    assert (jobs["late"]["status"], jobs["late"]["reason"]) == ("FAILED", "TIMEOUT")
    assert (jobs["flaky"]["status"], jobs["flaky"]["retries"]) == ("SUCCEEDED", 2)
    table = nemorun(env, "experiment", "status", experiment_id).stdout.splitlines()
    assert table[1].split()[:4] == ["JOB", "STATUS", "REASON", "RETRIES"]
    rows = {line.split()[0]: line.split() for line in table[2:]}
    assert rows["late"][1:3] == ["FAILED", "TIMEOUT"]
    assert rows["flaky"][1:4] == ["SUCCEEDED", "-", "2"]  # an empty cell is "-"
    shown = nemorun(env, "experiment", "show", experiment_id).stdout
    assert "Job late  state=FAILED (TIMEOUT)  dir=" in shown
    assert "Job flaky  state=SUCCEEDED  retries=2  dir=" in shown


@pytest.mark.parametrize("point", ["writing-the-job-file", "making-the-content", "store-keys-only"])
def test_a_job_half_written_by_a_kill_inside_add_is_reported(
    tmp_path: Path, env: dict[str, str], point: str
) -> None:
    killed = python(write(tmp_path, "killed.py", KILLED_IN_ADD), point, env=env, cwd=tmp_path)
    assert killed.returncode == -9, killed.stderr
    experiment_id = killed.stdout.split()[0]
    half = Path(env["NEMORUN_HOME"]) / "experiments" / "killed" / experiment_id / "second"
    assert half.is_dir()
    what = (
        "its job.json holds only the store's keys"
        if point == "store-keys-only"
        else "it has no job.json"
    )

    shown = nemorun(env, "experiment", "show", experiment_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert [job["id"] for job in json.loads(shown.stdout)["jobs"]] == ["first"]
    assert f"warning: skipped incomplete job {half}: " in shown.stderr
    assert what in shown.stderr
    assert "delete the directory" in shown.stderr
    assert "Traceback" not in shown.stderr

    status = nemorun(env, "experiment", "status", experiment_id, "--json")
    assert status.returncode == 0, status.stderr
    assert [job["id"] for job in json.loads(status.stdout)["jobs"]] == ["first"]
    assert f"skipped incomplete job {half}" in status.stderr

    rebuilt = nemorun(env, "experiment", "rebuild-catalog")
    assert rebuilt.returncode == 1  # something was skipped
    assert f"skipped {half}: incomplete job: {what}" in rebuilt.stdout

    loaded = subprocess.run(
        [sys.executable, "-c", FROM_ID, experiment_id],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["first"]
    assert f"StoreWarning: skipped incomplete job {half}" in loaded.stderr


def test_a_home_with_a_tilde_is_under_the_users_home(tmp_path: Path) -> None:
    user_home, work = tmp_path / "user", tmp_path / "work"
    user_home.mkdir()
    work.mkdir()
    env = {**os.environ, "HOME": str(user_home), "NEMORUN_HOME": "~/x"}
    made = python(write(tmp_path, "tilde.py", HOME_JOB), env=env, cwd=work)
    assert made.returncode == 0, made.stderr
    experiment_id = made.stdout.split()[-1]
    store = user_home / "x"
    assert (store / "experiments" / "tilde" / experiment_id / "experiment.json").is_file()
    assert any((store / "jobs").iterdir()), "the local backend's job files are not in the home"
    assert list(work.iterdir()) == []  # nothing under ./~
    listed = json.loads(nemorun({**env}, "experiment", "list", "--json").stdout)
    assert [(e["id"], e["states"]) for e in listed] == [(experiment_id, {"SUCCEEDED": 1})]
    assert Path(listed[0]["path"]).is_relative_to(store)
