"""SkyPilot smoke tests: the testbed's API server and its Slurm infra, through the SkyPilot SDK.

SkyPilot lives in the testbed's own venv (never in the test environment), so each check runs a
short script with that venv's python, in the testbed's HOME and environment (``Testbed.sky_env``).
"""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

pytestmark = pytest.mark.sky

HEALTH = """
import json
from sky.client import sdk
info = sdk.api_info()
print(json.dumps({
    "status": info.status.value,
    "version": info.version,
    "enabled": sdk.get(sdk.enabled_clouds(expand=True)),
    "check": sdk.get(sdk.check(("slurm",), verbose=False)),
}))
"""

# Launch a one-node task on the Slurm infra with down=True, wait for its job, then tear the
# cluster down by name whatever happened (the test's own finally repeats the down, by name).
LAUNCH = """
import json, sys
import sky
from sky.client import sdk
name, infra = sys.argv[1], sys.argv[2]
task = sky.Task(name="nr-smoke", setup="echo setup-ok",
                run='echo "nr-sky-smoke rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES job=$SLURM_JOB_ID"')
task.set_resources(sky.Resources(infra=infra, cpus=1, memory=1))
try:
    job_id, _ = sdk.stream_and_get(sdk.launch(task, cluster_name=name, down=True))
    rc = sdk.tail_logs(name, job_id, follow=True)
    status = sdk.get(sdk.job_status(name, [job_id]))[job_id]
    print("RESULT " + json.dumps({"job_id": job_id, "rc": rc, "status": status.value}))
finally:
    sdk.get(sdk.down(name))
"""

DOWN = """
import sys
from sky import exceptions
from sky.client import sdk
try:
    sdk.get(sdk.down(sys.argv[1], purge=True))
except exceptions.ClusterDoesNotExist:
    pass
"""


def _sky_python(
    testbed, script: str, *args: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [testbed.sky_python, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=testbed.sky_env(),
        cwd=testbed.sky_home,
    )


def test_api_server_healthy_and_slurm_infra_enabled(testbed) -> None:
    res = _sky_python(testbed, HEALTH, timeout=120)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["status"] == "healthy", got
    assert got["version"] == "0.14.1", got
    assert testbed.sky_infra in got["enabled"], got
    assert any("compute" in clouds.get("Slurm", []) for clouds in got["check"].values()), got


@pytest.mark.slow
def test_launch_tiny_task_on_slurm_infra(testbed) -> None:
    name = f"nr-smoke-{uuid.uuid4().hex[:6]}"
    try:
        res = _sky_python(testbed, LAUNCH, name, testbed.sky_infra, timeout=600)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        result = next(line for line in res.stdout.splitlines() if line.startswith("RESULT "))
        got = json.loads(result.removeprefix("RESULT "))
        assert got == {"job_id": 1, "rc": 0, "status": "SUCCEEDED"}, got
        assert "nr-sky-smoke rank=0 nodes=1 job=" in res.stdout, res.stdout[-3000:]
        assert "setup-ok" in res.stdout, res.stdout[-3000:]
    finally:
        _sky_python(testbed, DOWN, name, timeout=300)
