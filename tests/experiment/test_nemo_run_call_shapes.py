"""Issue 15, item 4: NeMo-Run's ``Experiment`` call shapes, in a fresh interpreter.

``Experiment(title, id=...)``, ``threadpool_workers=``, ``serialize_metadata_for_scripts=``,
``logs(job_id=, regex=)``, ``cancel(job_id=)``, ``dryrun(log=, exist_ok=, delete_exp_dir=)``,
``to_config()`` and ``diff(other)``; an unknown job is logged, not raised, unless ``strict``.
"""

import subprocess
import sys
from pathlib import Path

SHAPES = """
import time
import nemo_run as run
import nr_experiment

title = "shapes"
wanted = f"{title}_{time.time_ns()}"
with run.Experiment(
    title, id=wanted, threadpool_workers=4, serialize_metadata_for_scripts=False,
    clean_mode=True,
) as exp:
    job = exp.add(run.Script(inline="echo keep-1; echo drop; echo keep-2"), name="echo")
    artifacts = exp.dryrun(log=False, exist_ok=True, delete_exp_dir=False)
    print("dryrun", sorted(artifacts), exp.path.is_dir())
    exp.run()
print("id", exp.id == wanted)
exp.logs(job_id=job, regex="keep")
exp.logs(job_id="nope")
print("cancel", exp.cancel(job_id="nope"))
try:
    exp.logs(job_id="nope", strict=True)
except nr_experiment.UnknownJobError as error:
    print("strict", type(error).__name__)

config = exp.to_config()
print("config", config.title, config.id == wanted, config.threadpool_workers,
      config.serialize_metadata_for_scripts)
print("built", run.build(config).id == wanted)

again = run.Experiment.from_id(exp.id)
print("same", again.diff(exp) == [])
again.reset()
again.tasks[0].inline = "echo changed"
print("diff", sorted(change.path for change in again.diff(exp)))

try:
    with run.Experiment(title, id=wanted) as clash:
        clash.add(run.Script(inline="true"))
except nr_experiment.StoreError as error:
    print("clash", "already exists" in str(error))
print("reset", exp.reset().id != wanted)  # a relaunch gets a new id
try:
    run.Experiment(title, id="not-an-id")
except ValueError as error:
    print("bad id", type(error).__name__)

with run.Experiment("throwaway", clean_mode=True) as dry:
    dry.add(run.Script(inline="true"), name="t")
    dry.dryrun(log=False, delete_exp_dir=True)
    print("deleted", not dry.path.exists(), run.Experiment.catalog("throwaway"))
"""


def test_nemo_run_call_shapes_work(home: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SHAPES], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "dryrun ['echo'] True",
        "id True",
        "keep-1",
        "keep-2",
        "cancel []",
        "strict UnknownJobError",
        "config shapes True 4 False",
        "built True",
        "same True",
        "diff ['experiment.id', 'tasks[0].inline']",
        "clash True",
        "reset True",
        "bad id InvalidNameError",
        "deleted True []",
    ]
    assert done.stderr.count("no such job: 'nope'") == 2  # logs and cancel logged it
