"""Fixtures for the tunnel tests: SSH tunnels to the testbed's sshd (root and non-root)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nr_tunnel import SSHTunnel
from nr_tunnel.openssh import OpenSSHDriver


@pytest.fixture
def make_tunnel(testbed: Any) -> Iterator[Callable[..., SSHTunnel]]:
    """Build SSHTunnels to the testbed sshd; every connection made is closed afterwards."""
    testbed.require("ssh")
    made: list[SSHTunnel] = []

    def make(user: str = "root", **overrides: Any) -> SSHTunnel:
        settings: dict[str, Any] = {
            "host": testbed.ssh_host,
            "port": testbed.ssh_port,
            "user": testbed.ssh_root_user if user == "root" else testbed.ssh_user,
            "job_dir": "/tmp",
            "identity": testbed.ssh_key,
            "known_hosts": testbed.ssh_known_hosts,
            "allow_agent": False,
            "connect_attempts": 2,
            "retry_backoff": 0.1,
            "control_persist": "60s",
        }
        settings.update(overrides)
        tunnel = SSHTunnel(**settings)
        made.append(tunnel)
        return tunnel

    yield make
    for tunnel in made:
        tunnel.cleanup()
        if tunnel.backend == "openssh":  # tests stop their masters (the product leaves them)
            subprocess.run(
                [*OpenSSHDriver(tunnel).ssh_argv(), "-O", "exit", f"{tunnel.user}@{tunnel.host}"],
                capture_output=True,
                check=False,
            )


@pytest.fixture(params=["root", "user"])
def login(request: pytest.FixtureRequest) -> str:
    """Each SSH test runs as root and as the non-root user."""
    return str(request.param)


@pytest.fixture(params=["fabric", "openssh"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each SSH test runs with both backends."""
    return str(request.param)


@pytest.fixture
def tunnel(make_tunnel: Callable[..., SSHTunnel], login: str, backend: str) -> SSHTunnel:
    """A tunnel for the current (login, backend) combination."""
    return make_tunnel(login, backend=backend)


@pytest.fixture
def remote_dir(tunnel: SSHTunnel) -> Iterator[str]:
    """A fresh remote directory (removed afterwards) writable by the tunnel's user."""
    path = tunnel.run(["mktemp", "-d", "/tmp/nr-tunnel-test.XXXXXX"]).stdout.strip()
    yield path
    tunnel.run(["rm", "-rf", "--", path], warn=True)
