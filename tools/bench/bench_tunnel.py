"""nr_tunnel over the testbed sshd: command round trips and directory sync.

Reported (seconds, and per-command milliseconds):
* 200 small commands over one shared tunnel (fabric and OpenSSH ControlMaster backends) versus a
  new connection for each command (fabric, and a plain `ssh` process per command);
* sync of 2,000 small files: rsync cold, rsync with nothing changed, and the tar stream fallback.

Needs the testbed's sshd (`tools/testbed/up.sh ssh`) and must run inside its netns
(`bash tools/testbed/run.sh python tools/bench/run.py tunnel`); otherwise returns {"skipped": ...}.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from unittest import mock

from nr_tunnel import SSHTunnel


def _env() -> dict[str, str]:
    path = Path(os.environ.get("NR_TESTBED_ENV", "/tmp/nr-testbed/testbed.env"))
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _timed(action, count: int) -> dict[str, float]:
    started = time.perf_counter()
    for _ in range(count):
        action()
    total = time.perf_counter() - started
    return {"total_s": round(total, 3), "per_op_ms": round(total / count * 1000, 2)}


def run(quick: bool) -> dict[str, object]:
    env = _env()
    if env.get("NR_TESTBED_SSH") != "1":
        return {"skipped": "testbed sshd is not up (tools/testbed/up.sh ssh)"}
    host, port = env["NR_TESTBED_SSH_HOST"], int(env["NR_TESTBED_SSH_PORT"])
    if not _reachable(host, port):
        return {"skipped": f"{host}:{port} unreachable; run inside the testbed netns (run.sh)"}
    settings = {
        "host": host,
        "port": port,
        "user": env["NR_TESTBED_SSH_USER"],
        "job_dir": "/tmp",
        "identity": env["NR_TESTBED_SSH_KEY"],
        "known_hosts": env["NR_TESTBED_SSH_KNOWN_HOSTS"],
        "allow_agent": False,
    }
    commands = 20 if quick else 200
    files = 200 if quick else 2000
    results: dict[str, object] = {"commands": commands, "files": files, "user": settings["user"]}

    shared = SSHTunnel(**settings)
    shared.run("true")
    results["shared_fabric"] = _timed(lambda: shared.run("true"), commands)
    openssh = SSHTunnel(**settings, backend="openssh", control_persist="60s")
    openssh.run("true")
    results["shared_openssh_controlmaster"] = _timed(lambda: openssh.run("true"), commands)

    def fresh_fabric() -> None:
        tunnel = SSHTunnel(**settings, server_alive_interval=29)  # distinct registry key
        tunnel.run("true")
        tunnel.cleanup()

    results["new_connection_each_fabric"] = _timed(fresh_fabric, commands)
    ssh_argv = [
        "ssh", "-F", "none", "-p", str(port), "-i", settings["identity"],
        "-o", "IdentitiesOnly=yes",
        "-o", f"UserKnownHostsFile={settings['known_hosts']}", "-o", "BatchMode=yes",
        f"{settings['user']}@{host}", "true",
    ]  # fmt: skip
    results["new_connection_each_ssh_process"] = _timed(
        lambda: subprocess.run(ssh_argv, check=True, stdin=subprocess.DEVNULL), commands
    )

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(files):
            path = root / f"d{i % 20}" / f"f{i}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_text(f"small file {i}\n")
        remote = shared.run(["mktemp", "-d", "/tmp/nr-bench-sync.XXXXXX"]).stdout.strip()
        try:
            results["sync_rsync_cold"] = _timed(lambda: shared.sync(root, f"{remote}/rsync"), 1)
            results["sync_rsync_unchanged"] = _timed(
                lambda: shared.sync(root, f"{remote}/rsync"), 1
            )
            with mock.patch.object(shutil, "which", return_value=None):
                results["sync_tar_stream"] = _timed(lambda: shared.sync(root, f"{remote}/tar"), 1)
            counted = shared.run(f"find {remote}/tar -type f | wc -l").stdout.strip()
            results["sync_tar_files_arrived"] = int(counted)
        finally:
            shared.run(["rm", "-rf", remote])
    shared.cleanup()
    return results
