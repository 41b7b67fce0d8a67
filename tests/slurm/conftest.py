"""Fixtures of the real-Slurm tests: a tunnel of each kind and an executor factory on it."""

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nr_exec.slurm import SlurmExecutor
from nr_package import Packager
from nr_tunnel import LocalTunnel, SSHTunnel

# Jobs find this interpreter (with the repo's packages) first on their PATH.
PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"


@pytest.fixture(params=["local", "ssh"])
def tunnel(request: pytest.FixtureRequest, testbed: Any) -> Iterator[LocalTunnel | SSHTunnel]:
    """A LocalTunnel, or an SSHTunnel to the testbed's sshd, on a fresh remote root."""
    testbed.require("slurm")
    root = f"/tmp/nr-slurm-test-{uuid.uuid4().hex[:8]}"
    if request.param == "local":
        yield LocalTunnel(job_dir=root)
        return
    testbed.require("ssh")
    ssh = SSHTunnel(
        host=testbed.ssh_host,
        port=testbed.ssh_port,
        user=testbed.ssh_root_user,
        identity=testbed.ssh_key,
        known_hosts=testbed.ssh_known_hosts,
        job_dir=root,
    )
    yield ssh
    ssh.cleanup()


@pytest.fixture
def make(tunnel: LocalTunnel | SSHTunnel, testbed: Any) -> Callable[..., SlurmExecutor]:
    """Build a SlurmExecutor on the tunnel (no code packaging, a 2-minute limit by default)."""

    def make_executor(**fields: Any) -> SlurmExecutor:
        fields.setdefault("packager", Packager())
        fields.setdefault("time", "00:02:00")
        return SlurmExecutor(
            tunnel=tunnel, partition=testbed.slurm_partition, env_vars={"PATH": PATH}, **fields
        )

    return make_executor
