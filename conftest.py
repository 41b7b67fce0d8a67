"""Repo-wide pytest wiring for the real-backend testbed (see tools/testbed/README.md).

* ``testbed`` session fixture: the parsed ``testbed.env`` written by ``tools/testbed/up.sh``.
* Markers ``slurm``, ``ssh``, ``docker``, ``ray``: skip when the backend is not up, or fail when
  ``NR_REQUIRE_BACKENDS=1`` (CI).
* A loopback guard: the test process may only ``connect`` to loopback (or unix sockets).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BACKENDS: tuple[str, ...] = ("slurm", "ssh", "docker", "ray", "podman", "sky")
DEFAULT_ENV_FILE = "/tmp/nr-testbed/testbed.env"


def _parse_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError:
        return values
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _same_netns(name: str) -> bool:
    try:
        return os.stat("/proc/self/ns/net").st_ino == os.stat(f"/run/netns/{name}").st_ino
    except OSError:
        return False


@dataclass(frozen=True)
class Testbed:
    """Connection details of the running testbed; ``require(name)`` skips/fails if a backend is down."""

    env_file: Path
    values: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    @property
    def netns(self) -> str:
        return self.get("NR_TESTBED_NETNS", "nrtest")

    @property
    def in_netns(self) -> bool:
        return _same_netns(self.netns)

    def unavailable_reason(self, backend: str) -> str | None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown testbed backend {backend!r}; expected one of {BACKENDS}")
        start = f"start it with `sudo bash tools/testbed/up.sh {backend}`"
        if not self.values:
            return f"testbed backend {backend!r} not available: no env file at {self.env_file}; {start}"
        if self.get(f"NR_TESTBED_{backend.upper()}") != "1":
            return f"testbed backend {backend!r} is not up (per {self.env_file}); {start}"
        if not self.in_netns:
            return (
                f"testbed backend {backend!r} runs in netns {self.netns!r} but this test process does not; "
                "run the tests via `sudo bash tools/testbed/run.sh python3 -m pytest ...`"
            )
        return None

    def available(self, backend: str) -> bool:
        return self.unavailable_reason(backend) is None

    def require(self, backend: str) -> None:
        reason = self.unavailable_reason(backend)
        if reason is None:
            return
        if os.environ.get("NR_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"{reason} (NR_REQUIRE_BACKENDS=1)", pytrace=False)
        pytest.skip(reason)

    # --- typed accessors -------------------------------------------------------------------------
    @property
    def slurm_partition(self) -> str:
        return self.get("NR_TESTBED_SLURM_PARTITION", "debug")

    @property
    def slurm_conf(self) -> str:
        return self.get("SLURM_CONF")

    @property
    def ssh_host(self) -> str:
        return self.get("NR_TESTBED_SSH_HOST", "127.0.0.1")

    @property
    def ssh_port(self) -> int:
        return int(self.get("NR_TESTBED_SSH_PORT", "2222"))

    @property
    def ssh_user(self) -> str:
        return self.get("NR_TESTBED_SSH_USER", "nrtest")

    @property
    def ssh_root_user(self) -> str:
        return self.get("NR_TESTBED_SSH_ROOT_USER", "root")

    @property
    def ssh_key(self) -> str:
        return self.get("NR_TESTBED_SSH_KEY")

    @property
    def ssh_known_hosts(self) -> str:
        return self.get("NR_TESTBED_SSH_KNOWN_HOSTS")

    @property
    def docker_host(self) -> str:
        return self.get("NR_TESTBED_DOCKER_HOST")

    @property
    def docker_python_image(self) -> str:
        return self.get("NR_TESTBED_DOCKER_PYTHON_IMAGE", "nr-testbed/python:3")

    @property
    def docker_busybox_image(self) -> str:
        return self.get("NR_TESTBED_DOCKER_BUSYBOX_IMAGE", "nr-testbed/busybox:1")

    @property
    def ray_address(self) -> str:
        return self.get("NR_TESTBED_RAY_ADDRESS", "http://127.0.0.1:8265")

    @property
    def ray_python(self) -> str:
        return self.get("NR_TESTBED_RAY_PYTHON")

    @property
    def sky_api_url(self) -> str:
        return self.get("NR_TESTBED_SKY_API_URL", "http://127.0.0.1:46580")

    @property
    def sky_python(self) -> str:
        return self.get("NR_TESTBED_SKY_PYTHON")

    @property
    def sky_bin(self) -> str:
        return self.get("NR_TESTBED_SKY_BIN")

    @property
    def sky_home(self) -> str:
        return self.get("NR_TESTBED_SKY_HOME")

    @property
    def sky_infra(self) -> str:
        return self.get("NR_TESTBED_SKY_INFRA", "slurm/localslurm")

    @property
    def sky_remote_user(self) -> str:
        return self.get("NR_TESTBED_SKY_REMOTE_USER", "skyci")

    def sky_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for a SkyPilot SDK/CLI process (the sky venv) talking to the testbed's server.

        The server's isolated HOME, its URL and port, telemetry off, and no silent start of a
        second local API server if the testbed's is down. ``base`` defaults to ``os.environ``.
        """
        port = self.sky_api_url.rstrip("/").rpartition(":")[2]
        env = dict(os.environ if base is None else base)
        env.update(
            HOME=self.sky_home,
            PATH=f"{self.sky_bin}:{env.get('PATH', '/usr/bin:/bin')}",
            SKYPILOT_API_SERVER_ENDPOINT=self.sky_api_url,
            SKYPILOT_API_SERVER_LOCAL_PORT=port,
            SKYPILOT_DISABLE_LOCAL_API_SERVER="1",
            SKYPILOT_DISABLE_USAGE_COLLECTION="1",
            DO_NOT_TRACK="1",
            SCARF_NO_ANALYTICS="1",
        )
        return env


def load_testbed() -> Testbed:
    path = Path(os.environ.get("NR_TESTBED_ENV", DEFAULT_ENV_FILE))
    return Testbed(env_file=path, values=_parse_env_file(path))


# --- loopback guard --------------------------------------------------------------------------------
class NonLoopbackConnectError(OSError):
    """Raised when a test tries to connect anywhere but loopback."""


def _is_local_ip(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified  # connect() to 0.0.0.0/:: means this host on Linux


def _check_address(family: int, address: Any) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return
    if not isinstance(address, tuple) or not address:
        return
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host)
    if _is_local_ip(host):
        return
    try:
        resolved = {info[4][0] for info in _real_getaddrinfo(host, None)}
    except OSError:
        resolved = set()
    if resolved and all(_is_local_ip(str(r)) for r in resolved):
        return
    raise NonLoopbackConnectError(
        f"loopback guard (conftest.py): connection to non-loopback address {address!r} is not allowed in tests"
    )


_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self.family, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self.family, address)
    return _real_connect_ex(self, address)


def _install_loopback_guard() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# --- pytest hooks ----------------------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    for name in BACKENDS:
        config.addinivalue_line(
            "markers", f"{name}: needs the real {name} testbed backend (tools/testbed/up.sh {name})"
        )
    _install_loopback_guard()


def pytest_runtest_setup(item: pytest.Item) -> None:
    wanted = [name for name in BACKENDS if item.get_closest_marker(name) is not None]
    if wanted:
        tb = load_testbed()
        for name in wanted:
            tb.require(name)


@pytest.fixture(scope="session")
def testbed() -> Testbed:
    return load_testbed()
