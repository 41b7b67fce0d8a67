"""A backend written here, in one folder with one entry point, runs experiments end to end.

``toy_backend/`` (the package) and ``toy_backend-0.1.dist-info/`` (its metadata, declaring
the ``nr_exec.backends`` entry point ``toy``) sit in this folder. Fresh interpreters get the
folder on their path, so the registry finds ``toy`` by real entry-point discovery; nothing
outside this folder knows of it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

LAUNCH = """
import json
import pprint
import time

import nemo_run as run
from toy_backend import ToyExecutor

with run.Experiment("toy", executor=ToyExecutor(), clean_mode=True) as exp:
    hello = exp.add(run.Script(inline="echo hello from toy"), name="hello")
    exp.add(run.Partial(pprint.pprint, object="a partial on toy"), name="partial", dependencies=[hello])
    exp.add(run.Script(inline="echo doomed; exec sleep 600"), name="doomed")
    exp.add(run.Script(inline="echo long; exec sleep 600"), name="long")
    exp.run(detach=True)

deadline = time.monotonic() + 60
rows = {}
while time.monotonic() < deadline:  # the supervisor submits "partial" once "hello" ended
    rows = exp.status(return_dict=True)
    if rows["partial"]["status"] == "SUCCEEDED":
        break
    time.sleep(0.05)
exp.logs("hello")
exp.logs("partial")
cancelled = exp.cancel("doomed")
after = exp.status(return_dict=True)
print(json.dumps({"id": exp.id, "rows": rows, "cancelled": cancelled, "after": after}))
"""

MANAGE = """
import json
import sys

import nemo_run as run
import nr_exec

exp = run.Experiment.from_id(sys.argv[1])
before = exp.status(return_dict=True)
exp.logs("long")
exp.cancel()
after = exp.status(return_dict=True)
backend = nr_exec.backend_class("toy")
print(json.dumps({"before": before, "after": after, "backend": backend.__module__}))
"""


def _python(code: str, *args: str, cwd: Path) -> tuple[list[str], dict[str, Any]]:
    """Run ``code`` in a fresh interpreter with this folder on its path; output and JSON."""
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    *lines, last = done.stdout.splitlines()
    return lines, json.loads(last)


def _states(rows: dict[str, Any]) -> dict[str, str]:
    return {job: row["status"] for job, row in rows.items()}


def test_an_experiment_on_the_toy_backend(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))
    lines, launched = _python(LAUNCH, cwd=tmp_path)
    assert "hello from toy" in lines
    assert "'a partial on toy'" in lines
    rows = launched["rows"]
    assert _states(rows) == {
        "hello": "SUCCEEDED",
        "partial": "SUCCEEDED",
        "doomed": "RUNNING",
        "long": "RUNNING",
    }
    assert all(row["handle"].startswith("toy://toybox/") for row in rows.values())
    assert launched["cancelled"] == ["doomed"]
    assert _states(launched["after"])["doomed"] == "CANCELLED"

    lines, managed = _python(MANAGE, launched["id"], cwd=tmp_path)
    assert managed["backend"] == "toy_backend"  # found through the entry point
    assert _states(managed["before"])["long"] == "RUNNING"
    assert lines == ["long"]
    assert _states(managed["after"]) == {
        "hello": "SUCCEEDED",
        "partial": "SUCCEEDED",
        "doomed": "CANCELLED",
        "long": "CANCELLED",
    }
