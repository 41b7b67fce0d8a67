"""Executors described by what differs from their defaults."""

import nr_config
from nr_cli.describe import describe, describe_record
from nr_exec import LocalExecutor, SlurmExecutor
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
