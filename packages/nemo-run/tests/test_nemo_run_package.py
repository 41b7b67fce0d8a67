"""Packaging facts of nemo-run: version, typing marker and base error."""

import re
from importlib import metadata
from pathlib import Path

import nemo_run
from nemo_run.errors import NemoRunError


def test_version_matches_distribution_metadata() -> None:
    assert nemo_run.__version__ == metadata.version("nemo-run")
    assert re.fullmatch(r"1!\d+\.\d+\.\d+(\.dev\d+)?", nemo_run.__version__)


def test_is_typed() -> None:
    assert (Path(nemo_run.__file__).parent / "py.typed").is_file()


def test_base_error_is_exported() -> None:
    assert nemo_run.NemoRunError is NemoRunError
    assert issubclass(NemoRunError, Exception)
    assert "NemoRunError" in nemo_run.__all__
