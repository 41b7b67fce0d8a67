"""Slurm smoke test: sbatch a job and see it COMPLETED in sacct (slurmdbd accounting)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slurm


def _run(*cmd: str, timeout: float = 30) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout).stdout


def test_sbatch_completes_and_sacct_reports_it(testbed, tmp_path: Path) -> None:
    out = tmp_path / "job-%j.out"
    job_id = (
        _run(
            "sbatch",
            "--parsable",
            f"--partition={testbed.slurm_partition}",
            "--job-name=nr-smoke",
            f"--output={out}",
            "--wrap",
            "echo smoke-$SLURM_JOB_ID on $SLURMD_NODENAME",
        )
        .strip()
        .split(";")[0]
    )
    assert job_id.isdigit(), job_id
    try:
        state = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            state = _run("sacct", "-P", "-n", "-X", "-j", job_id, "-o", "State").strip()
            if state in {
                "COMPLETED",
                "FAILED",
                "CANCELLED",
                "TIMEOUT",
                "NODE_FAIL",
                "OUT_OF_MEMORY",
            }:
                break
            time.sleep(0.5)
        assert state == "COMPLETED", f"job {job_id} ended as {state!r}"
        text = Path(str(out).replace("%j", job_id)).read_text()
        assert text.startswith(f"smoke-{job_id} on n"), text
    finally:
        subprocess.run(["scancel", job_id], capture_output=True, timeout=30)
