"""Packaging facts of nr-cli: version, typing marker and base error."""

import re
from importlib import metadata
from pathlib import Path

import nr_cli
from nr_cli.errors import CLIError


def test_version_matches_distribution_metadata() -> None:
    assert nr_cli.__version__ == metadata.version("nr-cli")
    assert re.fullmatch(r"1!\d+\.\d+\.\d+(\.dev\d+)?", nr_cli.__version__)


def test_is_typed() -> None:
    assert (Path(nr_cli.__file__).parent / "py.typed").is_file()


def test_base_error_is_exported() -> None:
    assert nr_cli.CLIError is CLIError
    assert issubclass(CLIError, Exception)
    assert "CLIError" in nr_cli.__all__
