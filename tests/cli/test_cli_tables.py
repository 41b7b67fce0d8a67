"""The ``status``, ``list`` and ``show`` tables in a real pseudo-terminal and through a pipe.

In a terminal of 80 or 200 columns no line is longer than the terminal, handles keep their end
(the job id), and failure messages stay readable; ``-o wide`` shows every column whole; piped
output has one row per line, a ``-`` in empty cells and every column (golden output below).
"""

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

MAKE = """
import sys
import nr_experiment
from nr_config import Partial
from nr_exec import LocalExecutor

def talk(word: str):
    print(word, flush=True)

def fail(code: int):
    raise SystemExit(code)

if __name__ == "__main__":
    what = sys.argv[1]
    executor = LocalExecutor(ntasks_per_node=1, env_vars={"A": "1"})
    with nr_experiment.Experiment(what, executor=executor) as exp:
        if what == "pair":
            exp.add(Partial(talk, word="alpha"), name="alpha")
            exp.add(Partial(talk, word="beta"), name="a_rather_long_job_name_for_a_sweep_point")
        else:
            exp.add(Partial(fail, code=7), name="boom")
        exp.run()
    print(exp.id)
"""


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, make_experiment: Callable[..., str]
) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("tables")
    return root / "home", {
        what: make_experiment(root, what, script=MAKE) for what in ("pair", "broken")
    }


@pytest.fixture
def in_terminal(terminal: Callable[..., Any], nemorun_command: list[str]) -> Callable[..., str]:
    """``in_terminal(home, columns, *args, env_columns=True)``: nemorun's output on a terminal."""

    def run(home: Path, columns: int, *args: str, env_columns: bool = True) -> str:
        env = {**os.environ, "NEMORUN_HOME": str(home)}
        env.pop("COLUMNS", None)
        if env_columns:
            env["COLUMNS"] = str(columns)
        shown = terminal([*nemorun_command, *args], env=env, columns=columns)
        output: str = shown.read_to_end()
        assert shown.wait() in (0, 1)
        return output.replace("\r\n", "\n")

    return run


@pytest.fixture
def piped(nemorun: Callable[..., subprocess.CompletedProcess[str]]) -> Callable[..., Any]:
    """``piped(home, *args)``: nemorun with stdout piped (``COLUMNS`` set, and ignored)."""
    return lambda home, *args: nemorun(home, *args, env={"COLUMNS": "40"})


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("columns", [80, 200])
def test_status_fits_the_terminal(
    store: tuple[Path, dict[str, str]], columns: int, in_terminal: Callable[..., str]
) -> None:
    home, ids = store
    for experiment in ids.values():
        shown = in_terminal(home, columns, "experiment", "status", experiment)
        assert widest(shown) <= columns, shown
        assert "Traceback" not in shown
    shown = in_terminal(home, columns, "experiment", "status", ids["pair"])
    header = shown.splitlines()[1].split()
    assert header[:2] == ["JOB", "STATUS"]
    alpha = next(line for line in shown.splitlines() if line.startswith("alpha"))
    handle = next(word for word in alpha.split() if word.startswith("local://"))
    assert handle.endswith(".pair.alpha")  # shortened in the middle if at all: the end stays
    if columns == 200:
        assert "a_rather_long_job_name_for_a_sweep_point" in shown
        assert "…" not in handle
        assert header == [
            *["JOB", "STATUS", "REASON", "RETRIES", "EXIT", "EXECUTOR", "HANDLE", "MESSAGE"]
        ]
    else:
        assert "…" in shown  # the long name or the handle had to give up room
    broken = in_terminal(home, columns, "experiment", "status", ids["broken"])
    assert "SystemExit: 7" in broken  # the failure message, in the table or under it
    assert "USER_ERROR" in broken


def test_size_comes_from_the_terminal_without_columns(
    store: tuple[Path, dict[str, str]], in_terminal: Callable[..., str]
) -> None:
    home, ids = store
    shown = in_terminal(home, 80, "experiment", "status", ids["pair"], env_columns=False)
    assert widest(shown) <= 80, shown


@pytest.mark.parametrize("columns", [80, 200])
def test_list_and_show_fit_and_wide_shows_everything(
    store: tuple[Path, dict[str, str]], columns: int, in_terminal: Callable[..., str]
) -> None:
    home, ids = store
    listed = in_terminal(home, columns, "experiment", "list")
    assert widest(listed) <= columns
    assert ids["pair"] in listed
    assert ids["broken"] in listed  # ids are never shortened
    shown = in_terminal(home, columns, "experiment", "show", ids["pair"])
    assert widest(shown) <= columns, shown
    assert "executor: LocalExecutor(env_vars={'A': '1'})" in shown  # its non-default fields
    wide = in_terminal(home, 80, "experiment", "status", ids["pair"], "-o", "wide")
    assert "…" not in wide
    assert str(home / "experiments" / "pair" / ids["pair"] / "alpha") in wide  # the DIR column


def test_piped_status_is_one_row_per_line_with_every_column(
    store: tuple[Path, dict[str, str]], piped: Callable[..., Any]
) -> None:
    home, ids = store
    result = piped(home, "experiment", "status", ids["broken"])
    assert result.returncode == 1
    exp_dir = home / "experiments" / "broken" / ids["broken"]
    handle = json.loads(piped(home, "experiment", "status", ids["broken"], "--json").stdout)[
        "jobs"
    ][0]["handle"]
    text = result.stdout.replace(str(exp_dir), "<DIR>").replace(handle, "<HANDLE>")
    text = text.replace(ids["broken"], "<ID>")
    text = re.sub(r" +", " ", text)  # the golden text ignores the padding
    assert text == (
        "Experiment <ID>\n"
        "JOB STATUS REASON RETRIES EXIT EXECUTOR HANDLE DIR MESSAGE\n"
        "boom FAILED USER_ERROR 0 7 LocalExecutor(env_vars={'A': '1'}) <HANDLE> <DIR>/boom"
        " SystemExit: 7\n"
    )
    rows = [re.split(r"\s{2,}", line) for line in result.stdout.splitlines()[1:]]
    assert {len(row) for row in rows} == {9}  # every row has every cell


def test_piped_list_is_parseable(
    store: tuple[Path, dict[str, str]], piped: Callable[..., Any]
) -> None:
    home, ids = store
    lines = piped(home, "experiment", "list").stdout.splitlines()
    assert lines[0].split() == ["ID", "CREATED", "JOBS", "STATES"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows[ids["pair"]][2:] == ["2", "SUCCEEDED:2"]
    assert rows[ids["broken"]][2:] == ["1", "FAILED:1"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", rows[ids["pair"]][1])
    assert (
        json.loads(piped(home, "experiment", "list", "-o", "json").stdout)[0]["id"] == ids["pair"]
    )
