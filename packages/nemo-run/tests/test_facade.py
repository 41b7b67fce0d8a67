import json
import subprocess
import sys

import nemo_run
import pytest

BACKEND_SDKS = ["docker", "fabric", "paramiko", "sky", "kubernetes", "ray", "torchx", "leptonai"]


def test_import_loads_no_backend_sdk() -> None:
    code = (
        "import sys, json, nemo_run; "
        f"print(json.dumps([m for m in {BACKEND_SDKS!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Confg'"):
        _ = nemo_run.Confg  # type: ignore[attr-defined]


def test_every_public_name_resolves() -> None:
    for name in nemo_run.__all__:
        assert getattr(nemo_run, name) is not None, name


def test_experiment_names_are_lazy_and_documented() -> None:
    code = (
        "import sys, nemo_run as run; "
        "assert 'nr_experiment' not in sys.modules and 'nr_exec' not in sys.modules; "
        "assert run.Experiment.__module__ == 'nr_experiment.experiment'; "
        "assert callable(run.run) and issubclass(run.LocalExecutor, run.Executor); "
        "assert run.Plugin().setup(None, None) is None; "
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "ok"


def test_cli_namespace_is_the_cli_layer() -> None:
    import nemo_run as run
    import nr_cli

    assert run.cli.entrypoint is nr_cli.entrypoint
    assert run.cli.main is nr_cli.main
    assert type(run.cli.entrypoint).__name__ == "function", "must be the decorator, not a module"
    assert set(run.cli.__all__) <= set(nr_cli.__all__)
