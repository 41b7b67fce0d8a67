"""The ``nemorun experiment`` commands people reach for, run as real subprocesses on real jobs.

Aliases and did-you-mean, list filters, ``status --watch``, ``wait``, ``logs`` over every job,
``cancel`` of ended jobs, ``rm``/``gc`` and JSON errors (completion: test_cli_completion.py).
"""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Nemorun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, make_experiment: Callable[..., str]
) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("commands")
    ids = {what: make_experiment(root, what) for what in ("pair", "broken", "unlaunched")}
    return root / "home", ids


def test_aliases_and_did_you_mean_with_the_subcommands_usage(
    store: tuple[Path, dict[str, str]], nemorun: Nemorun
) -> None:
    home, ids = store
    listed = nemorun(home, "exp", "ls", "-q")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == set(ids.values())
    typo = nemorun(home, "exp", "stauts", ids["pair"])
    assert typo.returncode == 2
    assert "did you mean 'status'?" in typo.stderr
    assert typo.stderr.startswith("usage: nemorun exp")
    option = nemorun(home, "experiment", "list", "--limt", "1")
    assert option.returncode == 2
    assert option.stderr.startswith("usage: nemorun experiment list ")
    assert "did you mean '--limit'?" in option.stderr
    group = nemorun(home, "experimnet", "list")
    assert group.returncode == 2
    assert "did you mean 'experiment'?" in group.stderr


def test_json_errors_are_objects_on_stdout(
    store: tuple[Path, dict[str, str]], nemorun: Nemorun
) -> None:
    home, _ = store
    missing = nemorun(home, "experiment", "status", "nothing_here", "--json")
    assert missing.returncode == 3
    assert json.loads(missing.stdout)["error"]["type"] == "ExperimentNotFoundError"
    usage = nemorun(home, "experiment", "list", "--json", "--sate", "FAILED")
    assert usage.returncode == 2
    error = json.loads(usage.stdout)["error"]
    assert error["type"] == "UsageError"
    assert "--state" in error["message"]
    bad_state = nemorun(home, "experiment", "list", "--state", "DONE", "--json")
    assert bad_state.returncode == 2
    assert "SUCCEEDED" in json.loads(bad_state.stdout)["error"]["message"]
    bad_since = nemorun(home, "experiment", "list", "--since", "yesterday")
    assert bad_since.returncode == 2
    assert bad_since.stderr.startswith("error: --since 'yesterday' is neither an age nor a date")


def test_list_filters(store: tuple[Path, dict[str, str]], nemorun: Nemorun) -> None:
    home, ids = store

    def listed(*args: str) -> list[str]:
        done = nemorun(home, "experiment", "list", "--json", *args)
        assert done.returncode == 0, done.stderr
        return [row["id"] for row in json.loads(done.stdout)]

    assert listed("--state", "failed") == [ids["broken"]]
    assert listed("--state", "FAILED,UNSUBMITTED") == [ids["broken"], ids["unlaunched"]]
    assert listed("--limit", "1") == [ids["unlaunched"]]
    assert listed("pa") == [ids["pair"]]  # a prefix of the title
    assert listed("--since", "1h") == list(ids.values())
    assert listed("--since", "2999-01-01") == []
    assert nemorun(home, "experiment", "list", "zz").returncode == 3


def test_status_exits_one_with_the_failure_message_and_wait_gives_the_jobs_code(
    store: tuple[Path, dict[str, str]], nemorun: Nemorun
) -> None:
    home, ids = store
    status = nemorun(home, "experiment", "status", ids["broken"])
    assert status.returncode == 1
    assert "FAILED" in status.stdout
    waited = nemorun(home, "experiment", "wait", ids["broken"])
    assert waited.returncode == 7  # the one job's own exit code
    assert "boom: FAILED (exit code 7)" in waited.stdout
    assert nemorun(home, "experiment", "wait", ids["pair"]).returncode == 0
    result = json.loads(nemorun(home, "experiment", "wait", ids["pair"], "--json").stdout)
    assert result["exit_code"] == 0
    assert [job["status"] for job in result["jobs"]] == ["SUCCEEDED", "SUCCEEDED"]


def test_logs_of_every_job_are_prefixed_and_tail_cuts_each(
    store: tuple[Path, dict[str, str]], nemorun: Nemorun
) -> None:
    home, ids = store
    every = nemorun(home, "experiment", "logs", ids["pair"])
    assert every.returncode == 0, every.stderr
    lines = every.stdout.splitlines()
    assert "alpha | alpha 0" in lines
    assert "beta  | beta 4" in lines
    assert len([line for line in lines if line.startswith("beta  | beta")]) == 5
    tail = nemorun(home, "experiment", "logs", ids["pair"], "--tail", "2")
    kept = [line for line in tail.stdout.splitlines() if "| alpha" in line or "| beta" in line]
    assert kept == ["alpha | alpha 1", "alpha | alpha 2", "beta  | beta 3", "beta  | beta 4"]
    one = nemorun(home, "experiment", "logs", ids["pair"], "beta", "--tail", "1")
    assert [line for line in one.stdout.splitlines() if "beta" in line] == ["beta 4"]
    assert nemorun(home, "experiment", "logs", ids["pair"], "gamma").returncode == 3


def test_cancel_all_reports_ended_jobs_as_already_ended(
    store: tuple[Path, dict[str, str]], nemorun: Nemorun
) -> None:
    home, ids = store
    done = nemorun(home, "experiment", "cancel", ids["pair"], "--all")
    assert done.returncode == 0, done.stderr
    assert "alpha: already ended (SUCCEEDED)" in done.stdout
    as_json = json.loads(
        nemorun(home, "experiment", "cancel", ids["pair"], "--all", "--json").stdout
    )
    assert as_json["cancelled"] == []
    assert {item["id"] for item in as_json["already_ended"]} == {"alpha", "beta"}


def test_follow_waits_for_a_dependent_job_then_watch_and_wait_see_the_end(
    tmp_path: Path, nemorun: Nemorun, make_experiment: Callable[..., str]
) -> None:
    experiment_id = make_experiment(tmp_path, "slow")
    home = tmp_path / "home"
    every = nemorun(home, "experiment", "logs", experiment_id, "--follow")
    assert every.returncode == 0, every.stderr  # "second" was waiting on "first": followed too
    assert every.stdout.splitlines() == [
        "first  | woke up", "second | after 0", "second | after 1", "second | after 2",
    ]  # fmt: skip
    followed = nemorun(home, "experiment", "logs", experiment_id, "second", "--follow")
    assert followed.returncode == 0, followed.stderr
    assert followed.stdout.splitlines() == ["after 0", "after 1", "after 2"]
    watched = nemorun(home, "experiment", "status", experiment_id, "--watch", "--interval", "0.2")
    assert watched.returncode == 0, watched.stderr
    assert watched.stdout.count("SUCCEEDED") >= 2
    assert nemorun(home, "experiment", "wait", experiment_id).returncode == 0
    streamed = nemorun(home, "experiment", "status", experiment_id, "--watch", "--json")
    assert streamed.returncode == 0, streamed.stderr
    [line] = streamed.stdout.splitlines()  # one JSON line per change; it had ended already
    assert [job["status"] for job in json.loads(line)["jobs"]] == ["SUCCEEDED", "SUCCEEDED"]


def test_rm_and_gc(tmp_path: Path, nemorun: Nemorun, make_experiment: Callable[..., str]) -> None:
    kept = make_experiment(tmp_path, "pair")
    never = make_experiment(tmp_path, "unlaunched")
    broken = make_experiment(tmp_path, "broken")
    home = tmp_path / "home"
    by_title = nemorun(home, "experiment", "rm", "broken")
    assert by_title.returncode == 2
    assert "rm takes experiment ids, not titles" in by_title.stderr
    assert nemorun(home, "experiment", "gc").returncode == 2
    preview = json.loads(
        nemorun(home, "experiment", "gc", "--unlaunched", "--dry-run", "--json").stdout
    )
    assert preview == {"deleted": [], "would_delete": [never], "dry_run": True}
    assert nemorun(home, "experiment", "gc", "--unlaunched").stdout.strip() == f"deleted {never}"
    removed = nemorun(home, "experiment", "rm", broken)
    assert removed.stdout.strip() == f"deleted {broken}"
    assert nemorun(home, "experiment", "status", broken).returncode == 3
    left = nemorun(home, "experiment", "list", "-q").stdout.split()
    assert left == [kept]
    assert nemorun(home, "experiment", "gc", "--older-than", "1d").stdout.strip() == (
        "nothing to collect"
    )
