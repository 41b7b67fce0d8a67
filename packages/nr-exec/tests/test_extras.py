"""require_extra: lazy SDK imports with an error naming the extra to install."""

import json

import pytest
from nr_exec import MissingExtraError, require_extra


def test_present_module_is_returned() -> None:
    assert require_extra("json", "json") is json


def test_missing_module_names_the_extra() -> None:
    with pytest.raises(MissingExtraError) as info:
        require_extra("nr_exec_no_such_sdk", "docker")
    message = str(info.value)
    assert message.startswith(
        "the docker backend needs the 'docker' extra: pip install 'nemo-run[docker]'"
    )
    assert "without the nemo-run façade: pip install 'nr-exec[docker]'" in message
    assert "nr_exec_no_such_sdk" in message
    assert isinstance(info.value, ImportError)


def test_feature_and_distribution_in_message() -> None:
    with pytest.raises(
        MissingExtraError,
        match=r"the TorchX adapter needs the 'torchx' extra: pip install 'nemo-run\[torchx\]'",
    ):
        require_extra("nr_exec_no_such_sdk", "torchx", "nemo-run", feature="the TorchX adapter")


def test_docker_backend_without_its_sdk_names_the_nemo_run_extra(tmp_path) -> None:
    """A user's script with the docker SDK hidden gets the façade's install line at dryrun."""
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "import sys\n"
        "sys.modules['docker'] = None  # as if the docker extra were not installed\n"
        "import nemo_run as run\n"
        "try:\n"
        "    run.run(run.Script(inline='true'), executor=run.DockerExecutor("
        "container_image='python:3.11-slim'), dryrun=True)\n"
        "except ImportError as error:\n"
        "    print(error)\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"NEMORUN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    assert "pip install 'nemo-run[docker]'" in result.stdout, result.stdout + result.stderr
