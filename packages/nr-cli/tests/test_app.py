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


def test_importing_the_package_does_not_load_typer() -> None:
    code = "import sys, nr_cli; print('typer' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
