"""A custom SlurmExecutor and a custom SlurmTemplate, as NeMo-Run users write them, on real Slurm.

Run inside the testbed's network namespace (``hatch run test:all`` does it).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nemo_run as run
import pytest
from nr_exec import SlurmJobDetails
from nr_package import Packager
from nr_tunnel import LocalTunnel, SSHTunnel

pytestmark = [pytest.mark.slurm]

PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"


@dataclass(kw_only=True)
class SiteExecutor(run.SlurmExecutor):
    """Runs every command under ``env SITE_WRAPPED=yes`` and names the rank by SLURM_PROCID."""

    def get_launcher_prefix(self) -> list[str] | None:
        return ["SITE_WRAPPED=yes"]

    def get_nsys_entrypoint(self) -> tuple[str, str]:
        return ("env", "")

    def macro_values(self) -> run.ExecutorMacros:
        return run.ExecutorMacros(
            head_node_ip_var="head_node_ip",
            nproc_per_node_var="SLURM_NTASKS_PER_NODE",
            num_nodes_var="SLURM_NNODES",
            node_rank_var="SLURM_PROCID",
        )


@dataclass(kw_only=True)
class SiteTemplate(run.SlurmTemplate):
    """The site's job template: a banner line, then the command."""

    def get_template_content(self) -> str:
        return '#!/bin/bash\necho "banner {{ site }}"\n{{ command }}\n'


@dataclass(kw_only=True)
class SiteLogs(SlurmJobDetails):
    """The site's log layout: ``<folder>/site-<job name>-<job id>.log``."""

    @property
    def stdout(self) -> str:
        return f"{self.folder}/site-{self.job_name}-%j.log"

    @property
    def stderr(self) -> str:
        return f"{self.folder}/site-{self.job_name}-%j.err"


def test_custom_executor_and_template_run_on_slurm(
    tunnel: LocalTunnel | SSHTunnel,
    testbed: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    executor = SiteExecutor(
        tunnel=tunnel,
        partition=testbed.slurm_partition,
        env_vars={"PATH": PATH},
        packager=Packager(),
        time="00:02:00",
        launcher=SiteTemplate(template_vars={"site": "hpc"}),
        job_details=SiteLogs(job_name="site"),
    )
    task = run.Script(
        inline='echo "rank=$1 nodes=$2 wrapped=$SITE_WRAPPED"',
        args=["$$${node_rank_var}", "$$${num_nodes_var}"],
    )
    with run.Experiment("site-exp", executor=executor, base_dir=tmp_path) as exp:
        exp.add(task, name="site")
        exp.run()
    assert [job.state for job in exp.jobs] == ["SUCCEEDED"]
    capsys.readouterr()
    exp.logs("site")
    assert capsys.readouterr().out.splitlines() == ["banner hpc", "rank=0 nodes=1 wrapped=yes"]
    job_dir = f"{executor.remote_root()}/{exp.id}/{exp.jobs[0].id}"
    listing = tunnel.run(f"ls {job_dir}/logs").stdout.split()
    assert len(listing) == 1
    assert listing[0].startswith("site-site-")
    assert listing[0].endswith(".log")
