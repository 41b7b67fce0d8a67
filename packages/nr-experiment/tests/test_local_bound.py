"""The bound on running local jobs of an attached run, and the plain-text status table."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from nr_config import Script
from nr_exec import LocalExecutor
from nr_exec.local.limits import MAX_RUNNING_ENV
from nr_experiment import Experiment
from nr_experiment.console import format_status
from nr_experiment.store import Store
from nr_experiment.table import Layout


def _timed(out: Path, name: str) -> Script:
    """A job that records when it started and ended (wall clock, shared by processes)."""
    return Script(
        inline=f's=$(date +%s.%N); sleep 0.4; e=$(date +%s.%N); echo "$s $e" > {out / name}'
    )


def _most_at_once(out: Path) -> int:
    spans = [tuple(map(float, p.read_text().split())) for p in out.iterdir()]
    return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


@pytest.mark.parametrize(("bound", "expected"), [("2", 2), ("0", 5)])
def test_an_attached_run_keeps_at_most_the_bound_running(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: str, expected: int
) -> None:
    monkeypatch.setenv(MAX_RUNNING_ENV, bound)
    out = tmp_path / "spans"
    out.mkdir()
    with Experiment("bounded", LocalExecutor(), clean_mode=True) as exp:
        for index in range(5):
            exp.add(_timed(out, f"j{index}"), name=f"j{index}")
        exp.run()
    assert [job.state for job in exp.jobs] == ["SUCCEEDED"] * 5
    if expected == 5:
        assert _most_at_once(out) > 2  # without a bound they overlap
    else:
        assert _most_at_once(out) <= expected


def test_a_group_starts_whole_even_beyond_the_bound(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_RUNNING_ENV, "1")
    out = tmp_path / "spans"
    out.mkdir()
    with Experiment("grouped", LocalExecutor(), clean_mode=True) as exp:
        exp.add([_timed(out, f"t{index}") for index in range(3)], name="group")
        exp.add(_timed(out, "after"), name="after")
        exp.run()
    assert [job.state for job in exp.jobs] == ["SUCCEEDED"] * 2
    spans = {p.name: tuple(map(float, p.read_text().split())) for p in out.iterdir()}
    group = [spans[f"t{index}"] for index in range(3)]
    assert max(s for s, _ in group) < min(e for _, e in group)  # the three ran together
    assert spans["after"][0] >= min(e for _, e in group)  # the next job waited for a place


def test_a_detached_run_starts_every_job(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_RUNNING_ENV, "1")
    with Experiment("detached", LocalExecutor(), clean_mode=True) as exp:
        for index in range(3):
            exp.add(Script(inline="sleep 0.2"), name=f"j{index}")
        exp.run(detach=True)
        assert all(job.handles for job in exp.jobs)  # nobody would start held-back jobs
    reloaded = Experiment.from_id(exp.id)
    assert reloaded.wait(timeout=30) == {job.id: "SUCCEEDED" for job in exp.jobs}


def test_a_wrong_bound_is_refused_with_the_variable_named(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_RUNNING_ENV, "many")
    with Experiment("wrong", LocalExecutor(), clean_mode=True) as exp:
        exp.add(Script(inline="true"), name="j")
        with pytest.raises(ValueError, match=f"{MAX_RUNNING_ENV} must be an integer >= 0"):
            exp.run()
    assert exp.jobs[0].state == "UNSUBMITTED"  # refused before any submit


def test_the_status_table_lines_up_every_row() -> None:
    short = {"status": "SUCCEEDED", "exit_code": 0, "handle": "local://h/a", "local_dir": "/d/a"}
    long = {"status": "FAILED", "exit_code": 3, "retries": 1, "handle": "x", "local_dir": "/d"}
    lines = format_status("e", {"short": short, "a-much-longer-name": long}, layout=Layout.PLAIN)
    assert lines[0] == "Experiment e"
    columns = zip(lines[1:], ["STATUS", "SUCCEEDED", "FAILED"], ["DIR", "/d/a", "/d"], strict=True)
    assert len({(line.index(state), line.index(path)) for line, state, path in columns}) == 1
    assert lines[3].startswith("a-much-longer-name  FAILED ")


def test_printing_the_status_imports_no_rich(home: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from nr_config import Script\n"
        "from nr_exec import LocalExecutor\n"
        "from nr_experiment import Experiment\n"
        "with Experiment('quiet', LocalExecutor()) as exp:\n"
        "    exp.add(Script(inline='true'), name='j')\n"
        "    exp.run()\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert re.search(r"^j {2,}SUCCEEDED ", done.stderr, re.MULTILINE), done.stderr


def test_jobs_that_end_before_their_batch_returns_are_stored_ended(home: Path) -> None:
    """Short jobs are found ended when their handles are recorded: a new reader agrees."""
    with Experiment("short", LocalExecutor(), clean_mode=True) as exp:
        for index in range(40):
            exp.add(Script(inline="true"), name=f"j{index}")
        exp.run()
    assert {job.state for job in exp.jobs} == {"SUCCEEDED"}
    stored = [record.state.value for record in Store(home).jobs(exp.id)]
    assert stored == ["SUCCEEDED"] * 40
    rows = Experiment.from_id(exp.id).status(return_dict=True) or {}
    assert {row["status"] for row in rows.values()} == {"SUCCEEDED"}
