"""Docker smoke test: run the locally built Python image with no network."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

pytestmark = pytest.mark.docker


def test_docker_run_python(testbed) -> None:
    env = {**os.environ, "DOCKER_HOST": testbed.docker_host}
    name = f"nr-smoke-{uuid.uuid4().hex[:8]}"
    try:
        res = subprocess.run(
            [
                "docker",
                "run",
                "--rm",
                "--name",
                name,
                "--network",
                "none",
                testbed.docker_python_image,
                "python3",
                "-c",
                "import sys, socket; print('py', sys.version_info[0], len(socket.if_nameindex()))",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == "py 3 1"  # only "lo" inside --network none
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60, env=env)


def test_docker_exit_code_busybox(testbed) -> None:
    env = {**os.environ, "DOCKER_HOST": testbed.docker_host}
    res = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            testbed.docker_busybox_image,
            "sh",
            "-c",
            "echo bb; exit 3",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert (res.returncode, res.stdout.strip()) == (3, "bb"), res.stderr
