"""Coming from NeMo-Run keeps history (issue 15, item 10).

``nemorun experiment import --from-nemo-run DIR`` reads the experiments NeMo-Run wrote under
its home into our store. The NeMo-Run home here is written by hand from the layout NeMo-Run
documents (reference §7.5, §2.4): ``_CONFIG`` and the pairs of ``_TASKS`` are Fiddle's
serialization JSON, zlib-compressed and URL-safe base64 encoded; ``_DONE`` marks a finished
experiment; each job has a directory named after its task holding its logs. Neither NeMo-Run
nor Fiddle is installed or needed.
"""

import base64
import json
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

NEMORUN = str(Path(sys.executable).parent / "nemorun")
FINISHED = "sweep_1724150000000000001"
UNFINISHED = "sweep_1724150000000000002"


class FiddleJson:
    """Writes Fiddle's serialization JSON: a root value and a table of shared objects."""

    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}

    @staticmethod
    def pyref(module: str, name: str) -> dict[str, Any]:
        return {"type": "pyref", "module": module, "name": name}

    def _object(self, hint: str, value: dict[str, Any]) -> dict[str, Any]:
        key = f"{hint}_{len(self.objects) + 1}"
        self.objects[key] = value
        return {"type": "ref", "key": key}

    def tuple_(self, items: list[Any]) -> dict[str, Any]:
        return {
            "type": self.pyref("builtins", "tuple"),
            "items": [[f"Index(index={i})", item] for i, item in enumerate(items)],
            "metadata": None,
        }

    def list_(self, items: list[Any]) -> dict[str, Any]:
        node = {
            "type": self.pyref("builtins", "list"),
            "items": [[f"Index(index={i})", item] for i, item in enumerate(items)],
            "metadata": None,
        }
        return self._object("list", node)

    def dict_(self, items: dict[str, Any]) -> dict[str, Any]:
        node = {
            "type": self.pyref("builtins", "dict"),
            "items": [[f"Key(key={k!r})", v] for k, v in items.items()],
            "metadata": self.tuple_(list(items)),
        }
        return self._object("dict", node)

    def buildable(self, kind: str, module: str, name: str, **arguments: Any) -> dict[str, Any]:
        metadata = {
            "type": self.pyref("fiddle._src.config", "BuildableTraverserMetadata"),
            "items": [
                ["Attr(name='fn_or_cls')", self.pyref(module, name)],
                ["Attr(name='argument_names')", self.tuple_(list(arguments))],
                ["Attr(name='argument_tags')", self.dict_({})],
                ["Attr(name='argument_history')", self.dict_({})],
            ],
            "metadata": self.pyref("fiddle._src.config", "BuildableTraverserMetadata"),
        }
        node = {
            "type": self.pyref("nemo_run.config", kind),
            "items": [[f"Attr(name={k!r})", v] for k, v in arguments.items()],
            "metadata": metadata,
            "paths": ["<root>"],
        }
        return self._object(name.lower(), node)

    def dump(self, root: dict[str, Any]) -> str:
        document = {"root": root, "objects": self.objects, "refcounts": {}, "version": "0.0.1"}
        return base64.urlsafe_b64encode(zlib.compress(json.dumps(document).encode())).decode()


def _zlib_json(build: Any) -> str:
    graph = FiddleJson()
    return graph.dump(build(graph))


def _local_executor(graph: FiddleJson, exp_dir: Path, task_dir: str) -> dict[str, Any]:
    packager = graph.buildable("Config", "nemo_run.core.packaging.base", "Packager")
    return graph.buildable(
        "Config",
        "nemo_run.core.execution.local",
        "LocalExecutor",
        packager=packager,
        env_vars=graph.dict_({"STAGE": "import"}),
        retries=0,
        ntasks_per_node=1,
        experiment_id=exp_dir.name,
        job_dir=str(exp_dir / task_dir),
    )


def _job(exp_dir: Path, job_id: str, app: str, state: str) -> str:
    def build(graph: FiddleJson) -> dict[str, Any]:
        return graph.buildable(
            "Config",
            "nemo_run.run.job",
            "Job",
            id=job_id,
            task=None,
            executor=_local_executor(graph, exp_dir, job_id),
            handle=f"local_persistent://nemo_run/{app}",
            launched=True,
            state=graph.pyref("torchx.specs.api", f"AppState.{state}"),
            tail_logs=False,
            dependencies=graph.list_([]),
        )

    return _zlib_json(build)


def _script(inline: str) -> str:
    return _zlib_json(
        lambda g: g.buildable(
            "Config",
            "nemo_run.config",
            "Script",
            inline=inline,
            entrypoint="bash",
            args=g.list_([]),
            env=g.dict_({}),
            m=False,
        )
    )


def _experiment_dir(home: Path, exp_id: str, *, done: bool) -> Path:
    exp_dir = home / "experiments" / "sweep" / exp_id
    exp_dir.mkdir(parents=True)
    (exp_dir / "_CONFIG").write_text(
        _zlib_json(
            lambda g: g.buildable(
                "Config",
                "nemo_run.run.experiment",
                "Experiment",
                title="sweep",
                id=exp_id,
                log_level="INFO",
                clean_mode=False,
            )
        )
    )
    (exp_dir / "_VERSION").write_text("0.12.0\n")
    if done:
        (exp_dir / "_DONE").touch()
    return exp_dir


def _local_log(exp_dir: Path, job_id: str, app: str, text: str) -> None:
    replica = exp_dir / job_id / "nemo_run" / app / job_id.rsplit(".", 1)[-1] / "0"
    replica.mkdir(parents=True)
    for name in ("stdout.log", "combined.log"):
        (replica / name).write_text(text)
    (replica / "stderr.log").write_text("")


@pytest.fixture
def nemo_run_home(tmp_path: Path) -> Path:
    """A NeMo-Run home with a finished and an unfinished experiment, written by hand.

    Finished: a ``Partial`` task of an importable module (succeeded, with its log), an inline
    ``Script`` (its final state only in ``.local_jobs.json``) and a lazy-entrypoint task NeMo-
    Run-only code can build (failed). Unfinished (no ``_DONE``): the Script with another line.
    """
    home = tmp_path / "nemo_home"
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "trainmod.py").write_text(
        "def train(lr: float, steps: int) -> None:\n    print(f'trained lr={lr} steps={steps}')\n"
    )
    done = _experiment_dir(home, FINISHED, done=True)
    partial = _zlib_json(
        lambda g: g.buildable(
            "Partial", "trainmod", "train", lr={"type": "leaf", "value": 0.1}, steps=3
        )
    )
    lazy = _zlib_json(
        lambda g: {
            "type": g.pyref("nemo_run.cli.lazy", "LazyEntrypoint"),
            "items": [["Attr(name='_target_path_')", "trainmod.train"]],
            "metadata": None,
        }
    )
    (done / "_TASKS").write_text(
        json.dumps(
            [
                [_job(done, "trainmod.train", "trainmod.train-a1", "SUCCEEDED"), partial],
                [_job(done, "echo_hello", "echo_hello-b2", "RUNNING"), _script("echo hello-v1")],
                [_job(done, "lazy", "lazy-c3", "FAILED"), lazy],
            ]
        )
    )
    _local_log(done, "trainmod.train", "trainmod.train-a1", "step 1 loss 0.50\nstep 2 loss 0.25\n")
    _local_log(done, "echo_hello", "echo_hello-b2", "hello-v1\n")
    (done / "lazy").mkdir()
    (done / "__main__.py").write_text("print('the launching script')\n")
    open_dir = _experiment_dir(home, UNFINISHED, done=False)
    (open_dir / "_TASKS").write_text(
        json.dumps(
            [[_job(open_dir, "echo_hello", "echo_hello-d4", "RUNNING"), _script("echo hello-v2")]]
        )
    )
    (open_dir / "echo_hello").mkdir()
    (home / ".local_jobs.json").write_text(
        json.dumps(
            {
                "echo_hello-b2": [
                    "SUCCEEDED",
                    "echo_hello-b2",
                    str(done / "echo_hello"),
                    ["echo_hello"],
                ],
            }
        )
    )
    return home


def _cli(*args: str, env_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if env_path is not None:
        env["PYTHONPATH"] = f"{env_path}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run(
        [NEMORUN, "experiment", *args], capture_output=True, text=True, timeout=300, env=env
    )


def _json(*args: str) -> Any:
    done = _cli(*args, "--json")
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "catalog.sqlite3"
    }


def test_import_makes_nemo_run_experiments_listable_with_states_and_logs(
    home: Path, nemo_run_home: Path
) -> None:
    done = _cli("import", "--from-nemo-run", str(nemo_run_home))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"imported {FINISHED}" in done.stdout
    assert f"imported {UNFINISHED}" in done.stdout
    assert "'lazy' cannot be run again" in done.stdout

    listed = {row["id"]: row for row in _json("list", "sweep")}
    assert set(listed) == {FINISHED, UNFINISHED}
    assert listed[FINISHED]["jobs"] == 3

    status = _json("status", FINISHED)
    states = {job["id"]: job["status"] for job in status["jobs"]}
    assert states == {"trainmod.train": "SUCCEEDED", "echo_hello": "SUCCEEDED", "lazy": "FAILED"}
    unfinished = _json("status", UNFINISHED)["jobs"][0]
    assert unfinished["status"] == "UNKNOWN"
    assert "had not finished" in unfinished["message"]

    logs = _cli("logs", FINISHED, "trainmod.train")
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout == "step 1 loss 0.50\nstep 2 loss 0.25\n"


def test_import_twice_changes_nothing(home: Path, nemo_run_home: Path) -> None:
    assert _cli("import", "--from-nemo-run", str(nemo_run_home)).returncode == 0
    before = _snapshot(home)
    again = _cli("import", "--from-nemo-run", str(nemo_run_home))
    assert again.returncode == 0, again.stderr
    assert f"already imported {FINISHED}" in again.stdout
    assert _snapshot(home) == before
    assert len(_json("list", "sweep")) == 2


def test_a_broken_experiment_is_not_half_written(home: Path, nemo_run_home: Path) -> None:
    broken = nemo_run_home / "experiments" / "sweep" / UNFINISHED / "_TASKS"
    broken.write_text('[["not zlib json", "x"]]')
    done = _cli("import", "--from-nemo-run", str(nemo_run_home))
    assert done.returncode == 1
    assert f"not imported {broken.parent}" in done.stderr
    assert "not NeMo-Run's zlib_json" in done.stderr
    assert [row["id"] for row in _json("list", "sweep")] == [FINISHED]
    assert not (home / "experiments" / "sweep" / UNFINISHED).exists()
    assert not [p for p in (home / "experiments" / "sweep").iterdir() if p.name.startswith(".")]


def test_diff_compares_imported_configurations(home: Path, nemo_run_home: Path) -> None:
    _cli("import", "--from-nemo-run", str(nemo_run_home))
    changes = {c["path"]: c for c in _json("diff", FINISHED, UNFINISHED)["changes"]}
    inline = changes["jobs['echo_hello'].tasks[0].inline"]
    assert (inline["old"], inline["new"]) == ("echo hello-v1", "echo hello-v2")
    assert not [path for path in changes if "source" in path or "task_dir" in path]


def test_rerun_runs_an_imported_script_and_refuses_an_undecodable_task(
    home: Path, nemo_run_home: Path, tmp_path: Path
) -> None:
    _cli("import", "--from-nemo-run", str(nemo_run_home))

    refused = _cli("rerun", FINISHED, env_path=tmp_path / "modules")
    assert refused.returncode == 1
    assert "cannot rerun" in refused.stderr
    assert "'lazy'" in refused.stderr
    assert "NeMo-Run's nemo_run.cli.lazy.LazyEntrypoint has no counterpart" in refused.stderr

    rerun = _cli("rerun", UNFINISHED)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    new_id = rerun.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    logs = _cli("logs", new_id, "echo_hello")
    assert logs.stdout.strip() == "hello-v2"


def test_an_imported_partial_task_is_rebuilt_without_running_anything_on_open(
    home: Path, nemo_run_home: Path, tmp_path: Path
) -> None:
    _cli("import", "--from-nemo-run", str(nemo_run_home))
    script = f"""
import sys
import nemo_run as run

exp = run.Experiment.from_id({FINISHED!r})
assert "trainmod" not in sys.modules, "opening an imported experiment imported its code"
task = exp.jobs[0].task
print(type(task).__name__, run.build(task)())
"""
    env_path = tmp_path / "modules"
    env = {**os.environ, "PYTHONPATH": str(env_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["trained lr=0.1 steps=3", "Partial None"]


def test_import_into_the_same_home_adds_our_files_next_to_nemo_runs(
    nemo_run_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMORUN_HOME", str(nemo_run_home))
    monkeypatch.setenv("HOME", str(nemo_run_home.parent))
    (nemo_run_home.parent / ".nemo_run").symlink_to(nemo_run_home)
    tasks = nemo_run_home / "experiments" / "sweep" / FINISHED / "_TASKS"
    before = tasks.read_bytes()

    done = _cli("import", "--from-nemo-run")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"imported {FINISHED}" in done.stdout
    assert tasks.read_bytes() == before
    assert {row["id"] for row in _json("list", "sweep")} == {FINISHED, UNFINISHED}
    assert _cli("logs", FINISHED, "echo_hello").stdout == "hello-v1\n"
    again = _cli("import", "--from-nemo-run")
    assert f"already imported {FINISHED}" in again.stdout


def test_import_of_a_directory_that_is_not_a_nemo_run_home_says_so(
    home: Path, tmp_path: Path
) -> None:
    done = _cli("import", "--from-nemo-run", str(tmp_path))
    assert done.returncode == 3
    assert "is not a NeMo-Run home" in done.stderr


@pytest.mark.slurm
def test_status_asks_slurm_about_an_imported_unfinished_job(
    home: Path, tmp_path: Path, testbed: Any
) -> None:
    testbed.require("slurm")
    submitted = subprocess.run(
        [
            "sbatch",
            "--parsable",
            f"--partition={testbed.slurm_partition}",
            "--job-name=nr-import",
            f"--output={tmp_path / 'sbatch-%j.out'}",
            "--wrap",
            "sleep 2; echo imported-slurm",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    slurm_id = submitted.stdout.strip().split(";")[0]
    nemo_home = tmp_path / "nemo_home"
    exp_dir = _experiment_dir(nemo_home, UNFINISHED, done=False)
    remote = tmp_path / "remote"

    def job(graph: FiddleJson) -> dict[str, Any]:
        tunnel = graph.buildable(
            "Config", "nemo_run.core.tunnel.client", "LocalTunnel", job_dir=str(remote)
        )
        executor = graph.buildable(
            "Config",
            "nemo_run.core.execution.slurm",
            "SlurmExecutor",
            partition=testbed.slurm_partition,
            time="00:05:00",
            tunnel=tunnel,
            job_dir=str(exp_dir / "train"),
            experiment_id=UNFINISHED,
        )
        return graph.buildable(
            "Config",
            "nemo_run.run.job",
            "Job",
            id="train",
            task=None,
            executor=executor,
            handle=f"slurm_tunnel://nemo_run/{slurm_id}",
            launched=True,
            state=graph.pyref("torchx.specs.api", "AppState.RUNNING"),
        )

    (exp_dir / "_TASKS").write_text(json.dumps([[_zlib_json(job), _script("echo train")]]))
    (exp_dir / "train").mkdir()
    done = _cli("import", "--from-nemo-run", str(nemo_home))
    assert done.returncode == 0, done.stdout + done.stderr

    deadline = time.monotonic() + 120
    row: dict[str, Any] = {}
    while time.monotonic() < deadline:
        row = _json("status", UNFINISHED)["jobs"][0]
        if row["status"] not in ("RUNNING", "PENDING", "SUBMITTED"):
            break
        time.sleep(1)
    assert row["handle"] == f"slurm://local/{slurm_id}"
    assert row["status"] == "SUCCEEDED", row
