"""Issue 14 item 2: the names and import paths NeMo-Run users write exist on the façade.

Each test runs the user's lines in a fresh interpreter, as a script would.
"""

import json
import subprocess
import sys

import pytest

PENDING_EXECUTORS = {
    "SkypilotExecutor": "skypilot",
    "SkypilotJobsExecutor": "skypilot",
    "DGXCloudExecutor": "",
    "LeptonExecutor": "lepton",
    "KubeflowExecutor": "kubernetes",
    "KubeRayExecutor": "kubernetes",
}


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("name", "extra"), sorted(PENDING_EXECUTORS.items()))
def test_pending_executor_says_it_is_not_available_yet(name: str, extra: str) -> None:
    result = python(
        "import nemo_run as run\n"
        f"assert hasattr(run, {name!r})\n"
        f"run.{name}(container_image='img', nodes=1)\n"
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"nemo_run.errors.NotAvailableYetError: {name} is not available yet")
    if extra:
        assert f"pip install 'nemo-run[{extra}]'" in last
    else:
        assert "will need no extra" in last


def test_pending_error_is_catchable_as_not_implemented() -> None:
    import nemo_run as run

    with pytest.raises(NotImplementedError, match="SkypilotExecutor is not available yet"):
        run.SkypilotExecutor()
    assert issubclass(run.NotAvailableYetError, run.NemoRunError)


def test_import_stays_light_with_the_new_names() -> None:
    sdks = ["docker", "sky", "kubernetes", "ray", "torchx", "leptonai", "nr_exec", "nr_ray"]
    result = python(
        "import sys, json, nemo_run as run\n"
        "import nemo_run.core, nemo_run.core.execution\n"
        f"print(json.dumps([m for m in {sdks!r} if m in sys.modules]))"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_core_import_paths() -> None:
    result = python(
        "import nemo_run as run\n"
        "from nemo_run.core.execution import LocalExecutor, SlurmExecutor, FaultTolerance\n"
        "from nemo_run.core.packaging import GitArchivePackager, PatternPackager\n"
        "from nemo_run.core.tunnel import SSHTunnel, LocalTunnel\n"
        "assert run.core.execution.FaultTolerance is run.FaultTolerance is FaultTolerance\n"
        "assert LocalExecutor is run.LocalExecutor and SSHTunnel is run.SSHTunnel\n"
        "executor = run.LocalExecutor(launcher=run.core.execution.FaultTolerance())\n"
        "assert run.core.execution.SkypilotExecutor is run.SkypilotExecutor\n"
        "print('ok')"
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_unknown_core_name_is_an_attribute_error() -> None:
    result = python("import nemo_run as run\nrun.core.execution.NoSuchExecutor")
    assert "module 'nemo_run.core.execution' has no attribute 'NoSuchExecutor'" in result.stderr


def test_run_ray_path_keeps_run_run_the_function() -> None:
    result = python(
        "import nemo_run as run\n"
        "from nemo_run.run.ray import RayCluster, RayJob\n"
        "from nemo_run.run.ray.cluster import RayCluster as C\n"
        "from nemo_run.run.ray.job import RayJob as J\n"
        "import nemo_run.run.ray\n"
        "assert RayCluster is C and RayJob is J\n"
        "assert callable(run.run) and run.run.__module__ == 'nr_experiment.api', run.run\n"
        "try:\n"
        "    RayJob(name='training-job', executor=None)\n"
        "except run.NotAvailableYetError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "RayJob is not available yet" in result.stdout
    assert "pip install 'nemo-run[ray]'" in result.stdout


def test_run_run_cannot_be_replaced_by_a_value() -> None:
    result = python("import nemo_run as run\nrun.run = 1\n")
    assert "nemo_run.run is the run function and cannot be replaced" in result.stderr


def test_configuration_export_from_run() -> None:
    result = python(
        "import nemo_run as run, nr_config\n"
        "for name in ('dumps_yaml', 'dumps_toml', 'dumps_json', 'loads_yaml', 'loads_toml',\n"
        "             'loads_json', 'to_code', 'dump', 'load', 'to_dict', 'from_dict', 'diff',\n"
        "             'format_diff', 'walk', 'broadcast'):\n"
        "    assert getattr(run, name) is getattr(nr_config, name), name\n"
        "cfg = run.Config(dict, a=1)\n"
        "assert run.loads_yaml(run.dumps_yaml(cfg)) == cfg\n"
        "print('ok')"
    )
    assert result.stdout.strip() == "ok", result.stderr
