"""A ``%`` in an experiment title or a job name reaches Slurm literally (issue 14, item 8).

Slurm expands ``%x``, ``%j``, ... in ``--output``/``--error``; the job directory, hence the
log path, holds the title and the job name, so the backend writes a literal ``%`` as ``%%``.
A user's launcher (a fresh interpreter, ``import nemo_run as run``) runs such a job on the
real cluster, then reads its log back, through a ``LocalTunnel`` and an ``SSHTunnel``.

Run inside the testbed's network namespace (``hatch run test:all`` does it).
"""

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slurm]

TITLE = "100% of %x-%j"
JOB_NAME = "lr=1%j_%A"

_LAUNCHER = """
import json
import sys

import nemo_run as run

config = json.loads(sys.argv[1])
if "ssh" in config:
    tunnel = run.SSHTunnel(**config["ssh"], job_dir=config["root"])
else:
    tunnel = run.LocalTunnel(job_dir=config["root"])
executor = run.SlurmExecutor(
    tunnel=tunnel, packager=run.Packager(), partition=config["partition"], time="00:02:00"
)
with run.Experiment(config["title"], executor=executor, base_dir=config["home"]) as exp:
    exp.add(run.Script(inline="echo 'logged from %j'"), name=config["name"])
    exp.dryrun()
    exp.run()
print("@@state", exp.jobs[0].state.value)
exp.logs(config["name"])
"""


@pytest.fixture
def remote_root(testbed: Any) -> Iterator[str]:
    testbed.require("slurm")
    root = f"/tmp/nr-slurm-percent-{uuid.uuid4().hex[:8]}"
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("through", ["local", "ssh"])
def test_percent_in_title_and_job_name(
    through: str, testbed: Any, remote_root: str, tmp_path: Path
) -> None:
    config: dict[str, Any] = {
        "root": remote_root,
        "partition": testbed.slurm_partition,
        "home": str(tmp_path / "home"),
        "title": TITLE,
        "name": JOB_NAME,
    }
    if through == "ssh":
        testbed.require("ssh")
        config["ssh"] = {
            "host": testbed.ssh_host,
            "port": testbed.ssh_port,
            "user": testbed.ssh_root_user,
            "identity": testbed.ssh_key,
            "known_hosts": testbed.ssh_known_hosts,
        }
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, json.dumps(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout.splitlines()
    assert "@@state SUCCEEDED" in output, done.stdout
    assert output[-1] == "logged from %j"
    logs = Path(remote_root).glob("*/*/logs/*.out")
    (log,) = [path for path in logs if not path.parts[-4].startswith(".")]  # not the index
    assert "%" in str(log.parent)  # the title's and the job name's % are literal
    assert log.read_text() == "logged from %j\n"
