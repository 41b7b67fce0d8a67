"""Hydra habits on an entrypoint's command line: ``+``/``++``/``~`` overrides, ``-m`` sweeps,
dotted ``_target_`` in files, and the executor file behind ``--factory executor=@file.yaml``.

Everything runs as a user runs it: ``python train.py ...`` in a subprocess.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TRAIN = """
import nemo_run as run

@run.cli.entrypoint
def train(lr: float = 0.1, bs: int = 32, tags: list[str] | None = None, note: str = "",
          extra: dict[str, int] | None = None):
    print(f"train lr={lr} bs={bs} tags={tags} note={note} extra={extra}", flush=True)
    if lr > 1:
        raise SystemExit(3)

if __name__ == "__main__":
    run.cli.main(train)
"""

LOCAL_EXECUTOR_YAML = """\
_target_: nemo_run.LocalExecutor
ntasks_per_node: 2
env_vars:
  MY_FLAG: "1"
"""

SLURM_EXECUTOR_YAML = """\
_target_: nemo_run.SlurmExecutor
account: my_account
partition: batch
nodes: 2
gpus_per_node: 8
time: "01:00:00"
container_image: nvcr.io/nvidia/pytorch:24.05-py3
tunnel:
  _target_: nemo_run.SSHTunnel
  host: login.cluster.example
  user: me
  job_dir: /scratch/me/nemo-run
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(TRAIN)
    return tmp_path


def train(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMORUN_HOME": str(root / "home")}
    return subprocess.run(
        [sys.executable, "train.py", *args], cwd=root, env=env, capture_output=True, text=True,
        check=False, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def nemorun(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMORUN_HOME": str(root / "home")}
    return subprocess.run(
        [sys.executable, "-c", "from nr_cli.app import main; main()", *args], cwd=root, env=env,
        capture_output=True, text=True, check=False, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_plus_adds_plus_plus_sets_tilde_resets(script: Path) -> None:
    assert "lr=0.5 " in train(script, "+lr=0.5").stdout
    refused = train(script, "lr=0.2", "+lr=0.5")
    assert refused.returncode == 2
    assert "lr is already set (to 0.2)" in refused.stderr
    assert "++lr=0.5" in refused.stderr  # says what to write instead
    assert "lr=0.5 " in train(script, "lr=0.2", "++lr=0.5").stdout
    assert "lr=0.1 " in train(script, "lr=0.2", "~lr").stdout  # back to the default
    assert "lr=0.1 " in train(script, "lr=0.2", "~lr=0.2").stdout
    mismatch = train(script, "lr=0.2", "~lr=0.3")
    assert mismatch.returncode == 2
    assert "lr is 0.2, not 0.3" in mismatch.stderr
    keys = train(script, "extra={'a': 1}", "+extra['b']=2", "~extra['a']")
    assert "extra={'b': 2}" in keys.stdout, keys.stderr
    unknown = train(script, "+lrr=1")
    assert unknown.returncode == 2
    assert "did you mean 'lr'" in unknown.stderr
    assert "cannot add a new key to a typed configuration" in unknown.stderr
    assert "Traceback" not in unknown.stderr + mismatch.stderr + refused.stderr


def test_without_multirun_a_comma_keeps_its_meaning(script: Path) -> None:
    assert "note=a,b " in train(script, "note=a,b").stdout  # a str holds the comma
    assert "tags=['a', 'b'] " in train(script, "tags=[a,b]").stdout  # a list stays possible
    number = train(script, "lr=0.1,0.01")
    assert number.returncode == 2
    assert "add -m (--multirun)" in number.stderr


def test_multirun_in_process_runs_every_combination_in_order(script: Path) -> None:
    result = train(script, "-m", "lr=0.1,0.01", "bs=32,64", "tags=[a,b]", "note='x,y'")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "train lr=0.1 bs=32 tags=['a', 'b'] note=x,y extra=None",
        "train lr=0.1 bs=64 tags=['a', 'b'] note=x,y extra=None",
        "train lr=0.01 bs=32 tags=['a', 'b'] note=x,y extra=None",
        "train lr=0.01 bs=64 tags=['a', 'b'] note=x,y extra=None",
    ]
    assert "[4/4] lr=0.01,bs=64" in result.stderr


def test_multirun_with_an_executor_is_one_experiment_of_named_jobs(script: Path) -> None:
    (script / "local.yaml").write_text(LOCAL_EXECUTOR_YAML)
    result = train(
        script, "--multirun", "lr=0.1,2", "bs=32,64", "--factory", "executor=@local.yaml", "--yes"
    )
    assert result.returncode == 1  # the two lr=2 jobs exit with 3
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "2 of 4 jobs did not succeed" in error
    [experiment] = [json.loads(nemorun(script, "experiment", "list", "--json").stdout)[0]["id"]]
    jobs = json.loads(nemorun(script, "experiment", "status", experiment, "--json").stdout)["jobs"]
    assert {job["name"]: job["status"] for job in jobs} == {
        "lr=0.1,bs=32": "SUCCEEDED",
        "lr=0.1,bs=64": "SUCCEEDED",
        "lr=2,bs=32": "FAILED",
        "lr=2,bs=64": "FAILED",
    }
    shown = nemorun(script, "experiment", "show", experiment).stdout
    assert "executor: LocalExecutor(env_vars={'MY_FLAG': '1'}, ntasks_per_node=2)" in shown


def test_multirun_dryrun_shows_every_job_and_launches_none(script: Path) -> None:
    (script / "slurm.yaml").write_text(SLURM_EXECUTOR_YAML)
    result = train(script, "-m", "lr=0.1,0.2,0.3", "--factory", "executor=@slurm.yaml", "--dryrun")
    assert result.returncode == 0, result.stderr
    for value in ("0.1", "0.2", "0.3"):
        assert f"lr={value}: Partial[train](lr={value})" in result.stdout
        assert f"# job lr={value} of " in result.stdout
    assert result.stdout.count("#SBATCH --account=my_account") == 3
    assert "executor: SlurmExecutor(account='my_account', partition='batch'" in result.stdout
    assert "tunnel=SSHTunnel(host='login.cluster.example', user='me'" in result.stdout


def test_multirun_refuses_what_handles_one_task(script: Path) -> None:
    exported = train(script, "-m", "lr=0.1,0.2", "--to-yaml", "out.yaml")
    assert exported.returncode == 2
    assert "cannot be combined with --multirun" in exported.stderr


@pytest.mark.parametrize("target", ["__main__.train", "__main__:train"])
def test_dotted_and_colon_targets_in_a_file(script: Path, target: str) -> None:
    (script / "task.yaml").write_text(f"_target_: {target}\n_partial_: true\nlr: 0.7\n")
    result = train(script, "--factory", "@task.yaml")
    assert result.returncode == 0, result.stderr
    assert "lr=0.7 " in result.stdout
