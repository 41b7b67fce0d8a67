"""The testbed's Slurm, as the Slurm benchmarks reach it: its SSH tunnel settings and partition.

Cluster benchmarks run inside the testbed's network namespace::

    bash tools/testbed/run.sh $(hatch env find bench)/bin/python tools/bench/run.py slurm

Outside it they report ``{"skipped": reason}``.
"""

import sys
import uuid
from pathlib import Path
from typing import Any

from nr_tunnel import SSHTunnel

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from conftest import load_testbed


def tunnel_settings(prefix: str) -> dict[str, Any]:
    """``SSHTunnel`` keyword arguments for the testbed's sshd, on a fresh remote job root."""
    testbed = load_testbed()
    settings: dict[str, Any] = {
        "host": testbed.ssh_host,
        "port": testbed.ssh_port,
        "user": testbed.ssh_root_user,
        "job_dir": f"/tmp/{prefix}-{uuid.uuid4().hex[:8]}",
    }
    if testbed.ssh_key:
        settings["identity"] = testbed.ssh_key
    if testbed.ssh_known_hosts:
        settings["known_hosts"] = testbed.ssh_known_hosts
    return settings


def partition() -> str:
    """The testbed's Slurm partition."""
    return load_testbed().slurm_partition


def connect_testbed(prefix: str = "nr-slurm-bench") -> tuple[SSHTunnel | None, str]:
    """An SSH tunnel to the testbed's Slurm and its partition, or None and why not."""
    testbed = load_testbed()
    reason = testbed.unavailable_reason("slurm") or testbed.unavailable_reason("ssh")
    if reason:
        return None, reason
    return SSHTunnel(**tunnel_settings(prefix)), testbed.slurm_partition
