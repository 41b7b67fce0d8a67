"""Packaging facts of nr-ray: version, typing marker and base error."""

import re
from importlib import metadata
from pathlib import Path

import nr_ray
from nr_ray.errors import RayError


def test_version_matches_distribution_metadata() -> None:
    assert nr_ray.__version__ == metadata.version("nr-ray")
    assert re.fullmatch(r"1!\d+\.\d+\.\d+(\.dev\d+)?", nr_ray.__version__)


def test_is_typed() -> None:
    assert (Path(nr_ray.__file__).parent / "py.typed").is_file()


def test_base_error_is_exported() -> None:
    assert nr_ray.RayError is RayError
    assert issubclass(RayError, Exception)
    assert "RayError" in nr_ray.__all__
