"""Issue 15 item 9: an experiment calls a custom executor's ``assign`` and ``cleanup`` hooks.

The executor is written as a NeMo-Run user writes one: a subclass overriding the hooks, in the
launching script, run in a fresh interpreter.
"""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
import nemo_run as run

RECORD = sys.argv[1]


def note(**fields):
    with open(RECORD, "a") as out:
        out.write(json.dumps(fields) + "\\n")


class RecordingExecutor(run.LocalExecutor):
    def assign(self, exp_id, exp_dir, task_id, task_dir):
        super().assign(exp_id, exp_dir, task_id, task_dir)
        note(hook="assign", exp_id=exp_id, task_id=task_id, job_dir=self.job_dir)

    def cleanup(self, handle):
        note(hook="cleanup", handle=handle)


def train() -> None:
    print("trained")


if __name__ == "__main__":
    with run.Experiment("hooks") as exp:
        job_id = exp.add(run.Partial(train), executor=RecordingExecutor())
        exp.run(sequential=True, tail_logs=False)
        note(hook="added", job_id=job_id, handle=exp.jobs[0].handles[0])
"""


def test_experiment_calls_assign_then_cleanup_once(tmp_path: Path) -> None:
    script = tmp_path / "launch.py"
    script.write_text(SCRIPT)
    record = tmp_path / "hooks.jsonl"
    result = subprocess.run(
        [sys.executable, str(script), str(record)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"NEMORUN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    notes = [json.loads(line) for line in record.read_text().splitlines()]
    by_hook = {n["hook"]: n for n in notes}
    assert [n["hook"] for n in notes].count("cleanup") == 1, notes
    assert notes[0]["hook"] == "assign", notes
    assign, cleanup, added = by_hook["assign"], by_hook["cleanup"], by_hook["added"]
    assert assign["task_id"] == added["job_id"] == "launch.train"
    assert Path(assign["job_dir"]).name == "launch.train"
    assert Path(assign["job_dir"]).is_dir()
    assert assign["exp_id"].startswith("hooks_")
    assert cleanup["handle"] == added["handle"]
