"""Packaging facts of nr-package: version, typing marker and base error."""

import re
from importlib import metadata
from pathlib import Path

import nr_package
from nr_package.errors import PackagingError


def test_version_matches_distribution_metadata() -> None:
    assert nr_package.__version__ == metadata.version("nr-package")
    assert re.fullmatch(r"1!\d+\.\d+\.\d+(\.dev\d+)?", nr_package.__version__)


def test_is_typed() -> None:
    assert (Path(nr_package.__file__).parent / "py.typed").is_file()


def test_base_error_is_exported() -> None:
    assert nr_package.PackagingError is PackagingError
    assert issubclass(PackagingError, Exception)
    assert "PackagingError" in nr_package.__all__
