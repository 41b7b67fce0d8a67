"""Executors described by what differs from their defaults."""

import nr_config
from nr_exec import LocalExecutor, SlurmExecutor
from nr_exec.describe import describe, describe_executors, describe_record
from nr_package import Packager
from nr_tunnel import SSHTunnel


def test_live_executors_show_their_non_default_fields() -> None:
    assert describe(LocalExecutor()) == "LocalExecutor()"
    assert describe(LocalExecutor(ntasks_per_node=2)) == "LocalExecutor(ntasks_per_node=2)"
    tunnel = SSHTunnel(host="login", user="me", job_dir="/scratch/me")
    slurm = SlurmExecutor(account="acct", nodes=2, tunnel=tunnel, packager=Packager())
    assert describe(slurm).startswith("SlurmExecutor(packager=Packager(), ")  # not the default
    slurm = SlurmExecutor(account="acct", nodes=2, tunnel=tunnel)
    assert describe(slurm) == (
        "SlurmExecutor(account='acct', nodes=2, "
        "tunnel=SSHTunnel(host='login', user='me', job_dir='/scratch/me'))"
    )  # the tunnel's job_dir is a setting: kept
    assert len(describe(slurm)) < len(repr(slurm)) / 10


def test_recorded_executors_leave_out_defaults_and_per_run_fields() -> None:
    executor = LocalExecutor(ntasks_per_node=2, env_vars={"A": "1"})
    executor.experiment_id = "demo_1"
    executor.job_dir = "/home/demo/job"
    record = nr_config.to_dict(nr_config.to_config(executor))
    assert describe_record(record) == "LocalExecutor(env_vars={'A': '1'}, ntasks_per_node=2)"
    unknown = {
        "_target_": "not_installed.mod:Remote",
        "host": "h",
        "port": None,
        "experiment_id": "x",
    }
    assert describe_record(unknown) == "Remote(host='h')"


def _assigned(executor: LocalExecutor, job: str) -> tuple[LocalExecutor, dict[str, object]]:
    executor.assign("sweep_1", "/home/sweep_1", job, job)
    return executor, nr_config.to_dict(nr_config.to_config(executor))


def test_executors_of_a_sweep_are_described_by_their_own_settings() -> None:
    first, first_record = _assigned(LocalExecutor(ntasks_per_node=2), "a")
    again, again_record = _assigned(LocalExecutor(ntasks_per_node=2), "b")
    assert first_record != again_record  # their job directories differ
    assert describe_executors([first], [first_record]) == "LocalExecutor(ntasks_per_node=2)"
    assert describe_executors([again], [again_record]) == "LocalExecutor(ntasks_per_node=2)"
    for point in range(600):  # more settings than are remembered: each still its own
        executor, record = _assigned(LocalExecutor(env_vars={"P": str(point)}), f"p{point}")
        assert (
            describe_executors([executor], [record])
            == f"LocalExecutor(env_vars={{'P': '{point}'}})"
        )
    pair = [LocalExecutor(), LocalExecutor(ntasks_per_node=3)]
    records = [_assigned(e, "group")[1] for e in pair]
    assert describe_executors(pair, records) == "LocalExecutor(), LocalExecutor(ntasks_per_node=3)"
