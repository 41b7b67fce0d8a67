"""The nemorun console app, run as real subprocesses: output and exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MAKE = """
import sys
import nr_experiment
from nr_config import Partial
from nr_exec import LocalExecutor

def ok(x: int = 1):
    print("output of ok", x)

def bad():
    raise SystemExit(3)

if __name__ == "__main__":
    nr_experiment.run(Partial(ok, x=2), name="good", title="demo")
    nr_experiment.run(Partial(bad), name="bad", title="broken", raise_on_failure=False)
    nr_experiment.run(Partial(ok, x=3), name="good", title="demo")
    nr_experiment.run(Partial(ok, x=4), name="good", title="local", executor=LocalExecutor())
"""


def nemorun(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMORUN_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", "from nr_cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    home = root / "home"
    env = {**os.environ, "NEMORUN_HOME": str(home)}
    (root / "make.py").write_text(MAKE)
    subprocess.run([sys.executable, "make.py"], cwd=root, env=env, check=True, capture_output=True)
    return home


def ids(home: Path, title: str) -> list[str]:
    return [
        e["id"] for e in json.loads(nemorun(home, "experiment", "list", title, "--json").stdout)
    ]


def test_help_and_usage_errors(home: Path) -> None:
    result = nemorun(home, "--help")
    assert result.returncode == 0
    assert "experiment" in result.stdout
    assert nemorun(home, "bogus").returncode == 2
    assert nemorun(home, "experiment", "status").returncode == 2
    assert nemorun(home).returncode == 2


def test_list(home: Path) -> None:
    result = nemorun(home, "experiment", "list")
    assert result.returncode == 0
    assert result.stdout.count("demo_") == 2
    assert "broken_" in result.stdout
    rows = json.loads(nemorun(home, "experiment", "list", "demo", "--json").stdout)
    assert [set(r) for r in rows] == [
        {"id", "title", "created", "jobs", "states", "dryrun", "path"}
    ] * 2
    assert rows[0]["states"] == {"SUCCEEDED": 1}
    assert nemorun(home, "experiment", "list", "nothing").returncode == 3


def test_status_exit_codes(home: Path) -> None:
    good = nemorun(home, "experiment", "status", "demo", "--json")
    assert good.returncode == 0
    [job] = json.loads(good.stdout)["jobs"]
    assert set(job) == {
        "id", "name", "status", "reason", "retries", "exit_code", "message", "executor",
        "handle", "local_dir",
    }  # fmt: skip
    assert (job["status"], job["reason"], job["retries"]) == ("SUCCEEDED", None, 0)
    bad = nemorun(home, "experiment", "status", "broken")
    assert bad.returncode == 1
    assert "FAILED" in bad.stdout
    assert nemorun(home, "experiment", "status", "missing").returncode == 3
    assert nemorun(home, "experiment", "status", "missing_1234567890123456789").returncode == 3


def test_logs(home: Path) -> None:
    result = nemorun(home, "experiment", "logs", ids(home, "demo")[0], "0")
    assert result.returncode == 0
    assert "output of ok 2" in result.stdout
    assert nemorun(home, "experiment", "logs", "demo", "9").returncode == 3


def test_diff_and_show(home: Path) -> None:
    first, second = ids(home, "demo")
    same = nemorun(home, "experiment", "diff", first, first)
    assert same.returncode == 0
    changed = nemorun(home, "experiment", "diff", first, second, "--json")
    assert changed.returncode == 1
    changes = json.loads(changed.stdout)["changes"]
    assert [c["path"] for c in changes] == ["jobs['good'].tasks[0].x"]
    assert (changes[0]["old"], changes[0]["new"]) == (2, 3)
    shown = json.loads(nemorun(home, "experiment", "show", second, "--json").stdout)
    assert shown["id"] == second
    assert shown["jobs"][0]["tasks"][0]["x"] == 3
    assert Path(shown["jobs"][0]["dir"]).is_dir()
    assert nemorun(home, "experiment", "show", "demo").returncode == 0
    local = json.loads(nemorun(home, "experiment", "show", "local", "--json").stdout)
    command = local["jobs"][0]["commands"][0]
    assert command[1:3] == ["-m", "nr_exec.runner"], command
    text = nemorun(home, "experiment", "show", "local")
    assert text.returncode == 0
    assert "command: " in text.stdout
    assert "nr_exec.runner" in text.stdout


def test_cancel_and_rebuild(home: Path) -> None:
    assert nemorun(home, "experiment", "cancel", "demo").returncode == 2
    result = nemorun(home, "experiment", "cancel", "demo", "--all", "--json")
    assert result.returncode == 0
    cancelled = json.loads(result.stdout)
    assert cancelled["cancelled"] == []  # the job had ended already: reported as such
    assert cancelled["already_ended"] == [{"id": "good", "status": "SUCCEEDED"}]
    assert nemorun(home, "experiment", "cancel", "demo", "nojob").returncode == 3
    rebuilt = nemorun(home, "experiment", "rebuild-catalog", "--json")
    assert rebuilt.returncode == 0
    assert json.loads(rebuilt.stdout)["experiments"] == 4


def test_entrypoint_script(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "from dataclasses import dataclass\nimport nr_cli\n"
        "@dataclass\nclass Model:\n    size: int = 4\n"
        "@nr_cli.entrypoint\ndef train(model: Model = Model(), epochs: int = 1):\n"
        "    print('trained', model.size, epochs)\n"
        "if __name__ == '__main__':\n    nr_cli.main(train)\n"
    )

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "NEMORUN_HOME": str(tmp_path / "h")}
        return subprocess.run(
            [sys.executable, str(script), *args], capture_output=True, text=True, env=env,
            cwd=tmp_path, check=False,
        )  # fmt: skip

    assert call("model.size*=2", "epochs+=2").stdout == "trained 8 3\n"
    typo = call("epocks=3")
    assert typo.returncode == 2
    assert typo.stderr == (
        "error: epocks=3: Unknown argument 'epocks' for train(); did you mean 'epochs'?\n"
    )
