"""Packaging facts of nr-config: version, typing marker and base error."""

import re
from importlib import metadata
from pathlib import Path

import nr_config
from nr_config.errors import ConfigError


def test_version_matches_distribution_metadata() -> None:
    assert nr_config.__version__ == metadata.version("nr-config")
    assert re.fullmatch(r"1!\d+\.\d+\.\d+(\.dev\d+)?", nr_config.__version__)


def test_is_typed() -> None:
    assert (Path(nr_config.__file__).parent / "py.typed").is_file()


def test_base_error_is_exported() -> None:
    assert nr_config.ConfigError is ConfigError
    assert issubclass(ConfigError, Exception)
    assert "ConfigError" in nr_config.__all__
