"""Packaging facts of nr-exec: version, typing marker and base error."""

import re
from importlib import metadata
from pathlib import Path

import nr_exec
from nr_exec.errors import ExecError


def test_version_matches_distribution_metadata() -> None:
    assert nr_exec.__version__ == metadata.version("nr-exec")
    assert re.fullmatch(r"1!\d+\.\d+\.\d+(\.dev\d+)?", nr_exec.__version__)


def test_is_typed() -> None:
    assert (Path(nr_exec.__file__).parent / "py.typed").is_file()


def test_base_error_is_exported() -> None:
    assert nr_exec.ExecError is ExecError
    assert issubclass(ExecError, Exception)
    assert "ExecError" in nr_exec.__all__
