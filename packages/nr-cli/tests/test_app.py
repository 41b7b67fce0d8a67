import subprocess
import sys

import nr_cli


def test_console_script_prints_version() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from nr_cli.app import main; main(['version'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"nemorun {nr_cli.__version__}"


def test_the_app_module_imports_nothing_heavy() -> None:
    heavy = ["typer", "rich", "pydantic", "nr_experiment", "nr_config", "nr_exec"]
    code = f"import sys, nr_cli.app; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
