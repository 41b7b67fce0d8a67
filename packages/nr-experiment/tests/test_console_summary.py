"""What an attached ``exp.run()`` prints when stderr is piped: stable lines (golden output).

The launching script runs in a fresh interpreter from a git checkout, with real local jobs
shipping their code (a git archive), one waiting for the other; ids, host names, sizes,
durations and paths are replaced by placeholders, and runs of two or more spaces (the
column gaps) by `` | ``, so the golden output says what a program reading the lines gets.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from nr_exec import JobState
from nr_experiment.job import Job
from nr_experiment.progress import Progress

SCRIPT = """
from nr_config import Script
from nr_exec import LocalExecutor
from nr_experiment import Experiment
from nr_package import GitArchivePackager

if __name__ == "__main__":
    with Experiment("piped", executor=LocalExecutor(packager=GitArchivePackager())) as exp:
        first = exp.add(Script(inline="true"), name="first")
        exp.add(Script(inline="exit 3"), name="second", dependencies=[first])
        exp.run()
"""

GOLDEN = """\
Experiment piped_<ID>: launching 2 jobs
  packaging code (git archive) ...
  packaged <SIZE> for 2 jobs in <T> s
  first | SUBMITTED | local://<HOST>/nr.<ID>.<HASH>.piped.first
  first | SUCCEEDED | exit 0
  second | SUBMITTED | local://<HOST>/nr.<ID>.<HASH>.piped.second
  second | FAILED (USER_ERROR) | exit 3
Experiment piped_<ID>
JOB | STATUS | REASON | RETRIES | EXIT | EXECUTOR | HANDLE | DIR | MESSAGE
first | SUCCEEDED | - | 0 | 0 | LocalExecutor | local://<HOST>/nr.<ID>.<HASH>.piped.first | <HOME>/experiments/piped/piped_<ID>/first | -
second | FAILED | USER_ERROR | 0 | 3 | LocalExecutor | local://<HOST>/nr.<ID>.<HASH>.piped.second | <HOME>/experiments/piped/piped_<ID>/second | -
Experiment piped_<ID> (metadata in <HOME>/experiments/piped/piped_<ID>)
Reconnect from Python:
    import nemo_run as run
    exp = run.Experiment.from_id("piped_<ID>")
    exp.status(); exp.logs(0); exp.cancel()
Or from the command line:
    nemorun experiment status piped_<ID>
    nemorun experiment logs piped_<ID> 0
    nemorun experiment cancel piped_<ID> --all
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


_PLACEHOLDERS = (
    (r"nr\.\d+\.[0-9a-f]+\.", "nr.<ID>.<HASH>."),
    (r"piped_\d+", "piped_<ID>"),
    (r"local://[^/\s]+/", "local://<HOST>/"),
    (r"packaged \d+(\.\d)? k?B", "packaged <SIZE>"),
    (r" in \d+\.\d s$", " in <T> s"),
    (r"(?<=\S) {2,}(?=\S)", " | "),
)


def _normalized(text: str, home: Path) -> str:
    lines = []
    for line in text.splitlines():
        if re.fullmatch(r"  \S+  RUNNING", line):
            continue  # seen or not, depending on when the job was polled
        shown = line.replace(str(home), "<HOME>").rstrip()
        for pattern, placeholder in _PLACEHOLDERS:
            shown = re.sub(pattern, placeholder, shown)
        lines.append(shown)
    return "\n".join(lines) + "\n"


def test_piped_output_is_stable_lines(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "launch.py").write_text(SCRIPT)
    (repo / "data.txt").write_text("some code\n" * 100)
    _git(repo, "init", "-q", ".")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "code")
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "launch.py"], cwd=repo, capture_output=True, text=True, check=False,
        env={**os.environ, "NEMORUN_HOME": str(home)}, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _normalized(done.stderr, home) == GOLDEN
    table = done.stderr.splitlines()[-12:-10]
    assert [len(re.split(r"\s{2,}", row)) for row in table] == [9, 9]  # every field, one each


def test_a_pending_job_says_what_it_waits_for(tmp_path: Path) -> None:
    said: list[str] = []
    job = Job(id="train", name="train", tasks=[], executors=[], job_dir=tmp_path / "train")
    progress = Progress("e_1", said.append, live=False)
    job.submitted(["slurm://cluster/1234"], [], "")
    progress.update([job])
    job.set_state(JobState.PENDING, message="PENDING: Resources")  # as Slurm's status says
    progress.update([job])
    job.set_state(JobState.PENDING, message="PENDING: Resources")
    progress.update([job])
    assert said == ["  train  SUBMITTED  slurm://cluster/1234", "  train  PENDING: Resources"]
