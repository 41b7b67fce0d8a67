import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nr_config
import pytest
from nr_config import Partial, Script
from nr_exec import Handle, LocalExecutor
from nr_experiment import (
    DependencyError,
    Experiment,
    ExperimentStateError,
    JobFailedError,
    Plugin,
    UnknownJobError,
    run,
)
from nr_experiment.store import CorruptMetadataError, ExperimentNotFoundError, Store


def _fn(module: str, name: str) -> Any:
    return getattr(__import__(module), name)


def test_add_run_status_logs(
    home: Path,
    tasks_module: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids_file = tmp_path / "ids.jsonl"
    monkeypatch.setenv("NEMORUN_IDS_FILE", str(ids_file))
    with Experiment("basic", LocalExecutor(), clean_mode=True) as exp:
        first = exp.add(Partial(_fn(tasks_module, "greet"), name="nemo"), name="greet")
        second = exp.add(Script(inline="echo after"), name="after", dependencies=[first])
        exp.run()
    assert (first, second) == ("greet", "after")
    states = exp.status(return_dict=True)
    assert states is not None
    assert [row["status"] for row in states.values()] == ["SUCCEEDED", "SUCCEEDED"]
    assert states["greet"]["handle"].startswith("local://")
    exp.logs("greet")
    exp.logs(1)
    out = capsys.readouterr().out
    assert "hello nemo" in out
    assert "after" in out
    meta = json.loads((exp.path / "experiment.json").read_text())
    assert meta["jobs"] == ["greet", "after"]
    assert meta["dependencies"]["after"] == ["greet"]
    job = json.loads((exp.path / "after" / "job.json").read_text())
    assert job["intent"]["backend_job_name"] in job["handle"]
    assert job["state"] == "SUCCEEDED"
    assert job["dependencies"] == ["greet"]
    line = json.loads(ids_file.read_text())
    assert line["experiment_id"] == exp.id
    assert [j["id"] for j in line["jobs"]] == [first, second]
    assert Experiment.catalog("basic") == [exp.id]


def test_duplicate_names_get_their_own_directories(home: Path) -> None:
    with Experiment("dups", clean_mode=True) as exp:
        ids = [exp.add(Script(inline="echo $0"), name="same") for _ in range(3)]
        exp.run()
    assert ids == ["same", "same_1", "same_2"]
    assert len({job.job_dir for job in exp.jobs}) == 3
    assert all(job.state == "SUCCEEDED" for job in exp.jobs)
    assert [job.name for job in exp.jobs] == ["same"] * 3


def test_add_is_checked(home: Path) -> None:
    with pytest.raises(ExperimentStateError, match="inside `with"):
        Experiment("outside").add(Script(inline="true"))
    with Experiment("checks", clean_mode=True) as exp:
        with pytest.raises(UnknownJobError):
            exp.add(Script(inline="true"), dependencies=["nope"])
        with pytest.raises(UnknownJobError, match="no job at index"):
            exp.add(Script(inline="true"), dependencies=[3])
        local = nr_config.Partial(_fn("operator", "truediv"), 1, object())  # unrepresentable
        with pytest.raises(nr_config.ConfigError):
            exp.add(local, name="bad")
        assert not (exp.path / "bad").exists()
        exp.add(Script(inline="true"), name="ok")
        exp.run()
        with pytest.raises(ExperimentStateError, match="already launched"):
            exp.add(Script(inline="true"))


def test_sequential_is_refused_with_dependencies(home: Path) -> None:
    with Experiment("seq", clean_mode=True) as exp:
        a = exp.add(Script(inline="true"), name="a")
        exp.add(Script(inline="true"), name="b", dependencies=[a])
        with pytest.raises(ExperimentStateError, match="sequential"):
            exp.run(sequential=True)
    assert isinstance(DependencyError("a", "x"), ValueError)


def test_sequential_chains_jobs(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "order.txt"
    with Experiment("chain", clean_mode=True) as exp:
        for i in range(3):
            exp.add(Script(inline=f"sleep 0.0{3 - i}; echo {i} >> {out}"), name=f"s{i}")
        exp.run(sequential=True)
    assert out.read_text().split() == ["0", "1", "2"]


def test_failed_parent_means_child_never_starts(home: Path, tmp_path: Path) -> None:
    marker = tmp_path / "child-ran"
    with Experiment("fails", clean_mode=True) as exp:
        a = exp.add(Script(inline="exit 3"), name="parent")
        exp.add(Script(inline=f"touch {marker}"), name="child", dependencies=[a])
        exp.run()
    assert [(j.state, j.exit_code) for j in exp.jobs] == [("FAILED", 3), ("CANCELLED", None)]
    assert "dependency 'parent' ended FAILED" in exp.jobs[1].message
    assert not marker.exists()
    assert not exp.jobs[1].handles


def test_dryrun_shows_artifacts_and_deletes_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Experiment("dry", clean_mode=True) as exp:
        exp.add(Script(inline="echo dry-marker"), name="x")
        artifacts = exp.dryrun()
        assert "dry-marker" in artifacts["x"][0]
        assert "dry-marker" in capsys.readouterr().out
        assert (exp.path / "x" / "job.json").is_file()
        assert not (exp.path / "x" / "exit.json").exists()
        exp.run()
    assert exp.jobs[0].state == "SUCCEEDED"


def test_cancel_covers_dependents(home: Path) -> None:
    with Experiment("cancel", clean_mode=True) as exp:
        a = exp.add(Script(inline="sleep 60"), name="long")
        exp.add(Script(inline="true"), name="child", dependencies=[a])
        exp.add(Script(inline="sleep 60"), name="other")
        exp.run()
        cancelled = exp.cancel("long")
        assert cancelled == ["long", "child"]
        assert [j.state for j in exp.jobs[:2]] == ["CANCELLED", "CANCELLED"]
        assert exp.cancel("long") == ["long", "child"]  # idempotent
        exp.cancel()
    assert [j.state for j in exp.jobs] == ["CANCELLED"] * 3


class EnvPlugin(Plugin):
    def setup(self, task: Any, executor: Any) -> None:
        executor.env_vars["NR_TEST"] = "from-plugin"
        if isinstance(task, Partial):
            task.key = "NR_TEST"


def test_plugins_apply_to_every_task_of_a_group(home: Path, tasks_module: str) -> None:
    show = _fn(tasks_module, "show_env")
    given = LocalExecutor()
    with Experiment("group", clean_mode=True) as exp:
        exp.add(
            [Partial(show, key="OTHER"), Script(inline="echo NR_TEST=$NR_TEST")],
            executor=given,
            name="pair",
            plugins=[EnvPlugin()],
        )
        exp.run()
    assert given.env_vars == {}  # the job has its own copy
    job = exp.jobs[0]
    assert job.state == "SUCCEEDED"
    assert job.plugins
    log = (job.job_dir / "logs" / "output.log").read_text()
    assert log.count("NR_TEST=from-plugin") == 2


LAUNCHER = """
import sys
import nemo_run as run


def shout(word: str = "hi") -> None:
    print(word.upper())


if __name__ == "__main__":
    with run.Experiment("remote", executor=run.LocalExecutor(), clean_mode=True) as exp:
        exp.add(run.Partial(shout, word="saved"), name="shout")
        exp.run(detach="--detach" in sys.argv)
    print(exp.id)
"""


def _launch(tmp_path: Path, *args: str) -> str:
    script = tmp_path / "launcher.py"
    script.write_text(LAUNCHER)
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    script.unlink()  # the launching script is gone; its saved copy must be enough
    return done.stdout.split()[-1]


def test_reconstruct_and_reset_after_the_script_is_deleted(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eid = _launch(tmp_path)
    exp = Experiment.from_id(eid)
    assert (exp.path / "main.py").is_file()
    assert [j.state for j in exp.jobs] == ["SUCCEEDED"]
    task = exp.jobs[0].task
    assert isinstance(task, Partial)
    assert task.word == "saved"
    exp.logs("shout")
    assert "SAVED" in capsys.readouterr().out
    assert Experiment.from_title("remote").id == eid
    exp.reset()
    exp.jobs[0].tasks[0].word = "again"
    with exp:
        exp.run()
    assert exp.id != eid
    assert exp.jobs[0].state == "SUCCEEDED"
    exp.logs(0)
    assert "AGAIN" in capsys.readouterr().out


def test_from_id_honours_base_dir(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    with Experiment("based", base_dir=other, clean_mode=True) as exp:
        exp.add(Script(inline="true"), name="x")
        exp.run()
    with pytest.raises(ExperimentNotFoundError):
        Experiment.from_id(exp.id)
    loaded = Experiment.from_id(exp.id, base_dir=other)
    assert loaded.status(return_dict=True)["x"]["status"] == "SUCCEEDED"  # type: ignore[index]
    handle = Handle.parse(loaded.jobs[0].handle)
    assert (other / "jobs" / handle.job_id).resolve() == loaded.jobs[
        0
    ].job_dir  # its backend's root
    assert not (home / "jobs").exists()


def test_corrupt_metadata_is_reported_by_name(home: Path) -> None:
    with Experiment("corrupt", clean_mode=True) as exp:
        exp.add(Script(inline="true"), name="x")
        exp.run()
    job_file = exp.path / "x" / "job.json"
    job_file.write_text(job_file.read_text()[:20])
    with pytest.raises(CorruptMetadataError, match=str(job_file)):
        Experiment.from_id(exp.id)
    assert job_file.read_text().startswith("{")  # left for a human, never replaced
    done = subprocess.run(
        [sys.executable, "-m", "nr_experiment", "rebuild-catalog"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert str(job_file) in done.stderr


def test_detached_dependents_are_submitted_by_the_supervisor(home: Path, tmp_path: Path) -> None:
    script = tmp_path / "detached.py"
    out = tmp_path / "child.txt"
    script.write_text(
        "import nemo_run as run\n"
        "with run.Experiment('det', clean_mode=True) as exp:\n"
        "    a = exp.add(run.Script(inline='sleep 0.3'), name='parent')\n"
        f"    exp.add(run.Script(inline='echo child > {out}'), name='child', dependencies=[a])\n"
        "    exp.run(detach=True)\n"
        "print(exp.id)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert time.monotonic() - started < 10  # the launcher did not wait for the parent
    eid = done.stdout.split()[-1]
    deadline = time.monotonic() + 30
    states: dict[str, Any] = {}
    while time.monotonic() < deadline:
        states = Experiment.from_id(eid).status(return_dict=True) or {}
        if all(row["status"] == "SUCCEEDED" for row in states.values()):
            break
        time.sleep(0.1)
    assert [row["status"] for row in states.values()] == ["SUCCEEDED", "SUCCEEDED"]
    assert out.read_text() == "child\n"
    assert json.loads((Store().experiment_dir(eid) / "supervisor.json").read_text())["pid"] > 0


def test_run_returns_a_result_and_raises_on_failure(home: Path, tasks_module: str) -> None:
    result = run(Script(inline="echo ok"), executor=LocalExecutor(), name="ok")
    assert result.exit_code == 0
    assert result.ok
    assert result.job_states == {"ok": "SUCCEEDED"}
    with pytest.raises(JobFailedError) as caught:
        run(Script(inline="exit 4"), executor=LocalExecutor(), name="bad")
    assert caught.value.result.exit_code == 4
    assert caught.value.result.jobs[0].state == "FAILED"
    quiet = run(Partial(_fn(tasks_module, "fail"), code=5), raise_on_failure=False)
    assert quiet.exit_code == 5
    assert not quiet.ok
    direct = run(Partial(_fn(tasks_module, "greet")), direct=True)
    assert direct.exit_code == 0
    assert direct.jobs[0].id == f"{tasks_module}.greet"
    assert (direct.path / direct.jobs[0].id / "exit.json").is_file()
    dry = run(Script(inline="true"), executor=LocalExecutor(), dryrun=True)
    assert dry.dryrun
    assert dry.exit_code is None
    assert dry.ok


INTERRUPTED = """
import sys
import nemo_run as run

with run.Experiment("ctrlc", on_interrupt=sys.argv[1], clean_mode=True) as exp:
    exp.add(run.Script(inline="sleep 60"), name="long")
    exp.run()
    print(exp.id, flush=True)
"""


@pytest.mark.parametrize(("policy", "expected"), [("cancel", "CANCELLED"), ("leave", "RUNNING")])
def test_ctrl_c_while_attached_does_not_hang(
    home: Path, tmp_path: Path, policy: str, expected: str
) -> None:
    script = tmp_path / "interrupted.py"
    script.write_text(INTERRUPTED)
    with subprocess.Popen(
        [sys.executable, str(script), policy],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        eid = proc.stdout.readline().split()[0]
        time.sleep(0.2)
        proc.send_signal(2)
        proc.wait(timeout=20)
    assert proc.returncode != 0  # KeyboardInterrupt propagates
    exp = Experiment.from_id(eid)
    try:
        assert exp.status(return_dict=True)["long"]["status"] == expected  # type: ignore[index]
    finally:
        exp.cancel()
    assert exp.jobs[0].state == "CANCELLED"


def test_direct_dependencies_and_environment(home: Path) -> None:
    with Experiment("direct", clean_mode=True) as exp:
        a = exp.add(Script(inline="exit 2"), name="a")
        exp.add(Script(inline="true"), name="b", dependencies=[a])
        exp.run(direct=True)
    assert [(j.state, j.exit_code) for j in exp.jobs] == [("FAILED", 2), ("CANCELLED", None)]
    assert os.environ.get("NEMORUN_HOME") == str(home)


UNGUARDED = """
import nemo_run as run

def hello(word: str = "hi") -> None:
    print(word)

# no `if __name__ == "__main__":` guard: the job imports this file to find `hello`
run.run(run.Partial(hello), executor=run.LocalExecutor(), title="unguarded", raise_on_failure=False)
"""


def test_a_script_that_launches_at_import_time_fails_its_job_clearly_instead_of_relaunching(
    home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED)
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, timeout=60)
    experiments = Store().list_experiments("unguarded")
    assert len(experiments) == 1, "the job launched the script's experiment again"
    exp = Experiment.from_id(experiments[0].id)
    assert [j.state for j in exp.jobs] == ["FAILED"]
    log = (exp.jobs[0].job_dir / "logs" / "output.log").read_text()
    assert 'if __name__ == "__main__":' in log
