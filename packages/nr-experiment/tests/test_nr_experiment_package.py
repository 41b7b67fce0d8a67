"""Packaging facts of nr-experiment: version, typing marker and base error."""

import re
from importlib import metadata
from pathlib import Path

import nr_experiment
from nr_experiment.errors import ExperimentError


def test_version_matches_distribution_metadata() -> None:
    assert nr_experiment.__version__ == metadata.version("nr-experiment")
    assert re.fullmatch(r"1!\d+\.\d+\.\d+(\.dev\d+)?", nr_experiment.__version__)


def test_is_typed() -> None:
    assert (Path(nr_experiment.__file__).parent / "py.typed").is_file()


def test_base_error_is_exported() -> None:
    assert nr_experiment.ExperimentError is ExperimentError
    assert issubclass(ExperimentError, Exception)
    assert "ExperimentError" in nr_experiment.__all__
