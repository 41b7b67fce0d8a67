"""SSH smoke test: commands as root and as the non-root user, plus an sftp put/get round trip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.ssh


def _ssh_opts(testbed) -> list[str]:
    return [
        "-F",
        "none",
        "-i",
        testbed.ssh_key,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"UserKnownHostsFile={testbed.ssh_known_hosts}",
        "-o",
        "ConnectTimeout=10",
    ]


@pytest.mark.parametrize("who", ["root", "user"])
def test_ssh_command(testbed, who: str) -> None:
    user = testbed.ssh_root_user if who == "root" else testbed.ssh_user
    res = subprocess.run(
        [
            "ssh",
            *_ssh_opts(testbed),
            "-p",
            str(testbed.ssh_port),
            f"{user}@{testbed.ssh_host}",
            "id -un; echo $HOME; exit 7",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 7, res.stderr
    name, home = res.stdout.split()
    assert name == user
    assert home == ("/root" if user == "root" else f"/home/{user}")


def test_sftp_round_trip(testbed, tmp_path: Path) -> None:
    src = tmp_path / "up.txt"
    payload = "nr-testbed sftp payload\n" * 100
    src.write_text(payload)
    back = tmp_path / "back.txt"
    remote = f"/home/{testbed.ssh_user}/nr-sftp-smoke-{tmp_path.name}.txt"
    batch = tmp_path / "batch"
    batch.write_text(f"put {src} {remote}\nget {remote} {back}\nrm {remote}\n")
    res = subprocess.run(
        [
            "sftp",
            *_ssh_opts(testbed),
            "-P",
            str(testbed.ssh_port),
            "-b",
            str(batch),
            f"{testbed.ssh_user}@{testbed.ssh_host}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert back.read_text() == payload
