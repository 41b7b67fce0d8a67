"""Every ``nemorun experiment`` subcommand's ``--json`` output validates against its schema.

The schemas are the documented ones (``docs/schemas/<command>.json``). Each command runs as a
real subprocess on real local experiments (succeeded, failed, dry-run only, never launched),
once for its result and once for an error; JSON Lines outputs (``logs``, ``status --watch``)
are validated line by line.
"""

import argparse
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from nr_cli.app_parser import build_parser
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"
Nemorun = Callable[..., subprocess.CompletedProcess[str]]


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(command: str, document: Any) -> None:
    schema = json.loads((SCHEMAS / f"{command}.json").read_text())
    jsonschema.Draft202012Validator(schema, registry=REGISTRY).validate(document)


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, make_experiment: Callable[..., str]
) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("schemas")
    kinds = ("pair", "broken", "dry", "unlaunched")
    return root / "home", {what: make_experiment(root, what) for what in kinds}


def _subcommands() -> list[str]:
    parser = build_parser(nested_entrypoints=False)
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    experiment = groups[0].choices["experiment"]
    subs = [a for a in experiment._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted({p.prog.split()[-1] for p in subs[0].choices.values()})


def test_every_subcommand_has_json_and_a_documented_schema(
    tmp_path: Path, nemorun: Nemorun
) -> None:
    commands = _subcommands()
    assert "logs" in commands
    assert "rerun" in commands
    for command in commands:
        assert (SCHEMAS / f"{command}.json").is_file(), f"no schema for {command}"
        assert f"schemas/{command}.json" in (ROOT / "docs" / "cli.md").read_text()
        usage = nemorun(tmp_path / "home", "experiment", command, "--help")
        assert "--json" in usage.stdout, command
    for path in SCHEMAS.glob("*.json"):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_read_commands_validate(store: tuple[Path, dict[str, str]], nemorun: Nemorun) -> None:
    home, ids = store
    listed = json_of(nemorun(home, "experiment", "list", "--all", "--json"))
    validate("list", listed)
    assert {e["id"] for e in listed} == set(ids.values())
    status = nemorun(home, "experiment", "status", ids["pair"], "--json")
    assert status.returncode == 0, status.stderr
    validate("status", json_of(status))
    executors = {j["name"]: j["executor"] for j in json_of(status)["jobs"]}
    assert executors == {
        "alpha": "LocalExecutor()",
        "beta": "LocalExecutor(env_vars={'GREETING': 'hi'})",
    }
    failed = nemorun(home, "experiment", "status", ids["broken"], "-o", "json")
    assert failed.returncode == 1
    validate("status", json_of(failed))
    watched = nemorun(home, "experiment", "status", ids["pair"], "--watch", "--json")
    lines = watched.stdout.splitlines()
    assert lines, watched.stderr
    for line in lines:
        validate("status-watch", json.loads(line))
        assert {j["name"]: j["executor"] for j in json.loads(line)["jobs"]} == executors
    waited = nemorun(home, "experiment", "wait", ids["broken"], "--json")
    assert waited.returncode == 7
    validate("wait", json_of(waited))
    assert [j["executor"] for j in json_of(waited)["jobs"]] == ["LocalExecutor()"]
    logs = nemorun(home, "experiment", "logs", ids["pair"], "--json")
    assert logs.returncode == 0, logs.stderr
    records = [json.loads(line) for line in logs.stdout.splitlines()]
    for record in records:
        validate("logs", record)
    assert [r["line"] for r in records if r["name"] == "beta"] == [f"beta {i}" for i in range(5)]
    diff = nemorun(home, "experiment", "diff", ids["pair"], ids["broken"], "--json")
    assert diff.returncode == 1
    validate("diff", json_of(diff))
    shown = nemorun(home, "experiment", "show", ids["pair"], "--json")
    validate("show", json_of(shown))


def test_write_commands_validate(
    store: tuple[Path, dict[str, str]], tmp_path: Path, nemorun: Nemorun
) -> None:
    home, ids = store
    cancelled = nemorun(home, "experiment", "cancel", ids["pair"], "--all", "--json")
    assert cancelled.returncode == 0, cancelled.stderr
    validate("cancel", json_of(cancelled))
    rerun = nemorun(home, "experiment", "rerun", ids["pair"], "--json")
    assert rerun.returncode == 0, rerun.stderr
    again = json_of(rerun)
    validate("rerun", again)
    assert again["old"] == ids["pair"]
    assert {j["status"] for j in again["jobs"]} == {"SUCCEEDED"}
    assert "launching 2 jobs" in rerun.stderr  # the run's own output goes to stderr
    collected = nemorun(home, "experiment", "gc", "--dryrun-only", "--dry-run", "--json")
    validate("gc", json_of(collected))
    assert json_of(collected)["would_delete"] == [ids["dry"]]
    removed = nemorun(home, "experiment", "rm", again["id"], "--json")
    validate("rm", json_of(removed))
    rebuilt = nemorun(home, "experiment", "rebuild-catalog", "--json")
    validate("rebuild-catalog", json_of(rebuilt))
    (tmp_path / "nemo_run" / "experiments").mkdir(parents=True)
    imported = nemorun(home, "experiment", "import", "--from-nemo-run", str(tmp_path / "nemo_run"),
                       "--json")  # fmt: skip
    validate("import", json_of(imported))


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("list", ["nothing_like_this"]),
        ("status", ["missing_1"]),
        ("logs", ["missing_1"]),
        ("wait", ["missing_1"]),
        ("diff", ["missing_1", "missing_2"]),
        ("show", ["missing_1"]),
        ("cancel", ["missing_1", "--all"]),
        ("rerun", ["missing_1"]),
        ("rm", ["missing_1"]),
        ("gc", []),
        ("import", ["--from-nemo-run", "/nonexistent/nemo_run"]),
        ("logs", ["--tial", "3", "x"]),
    ],
)
def test_errors_validate_as_one_line_objects(
    store: tuple[Path, dict[str, str]], command: str, args: list[str], nemorun: Nemorun
) -> None:
    home, _ = store
    failed = nemorun(home, "experiment", command, *args, "--json")
    assert failed.returncode in (1, 2, 3), failed.stderr
    lines = failed.stdout.splitlines()
    assert len(lines) == 1, failed.stdout
    validate(command, json.loads(lines[0]))
    validate("error", json.loads(lines[0]))
    assert "Traceback" not in failed.stderr
