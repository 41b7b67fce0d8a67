"""Packaging facts of nr-tunnel: version, typing marker and base error."""

import re
from importlib import metadata
from pathlib import Path

import nr_tunnel
from nr_tunnel.errors import TunnelError


def test_version_matches_distribution_metadata() -> None:
    assert nr_tunnel.__version__ == metadata.version("nr-tunnel")
    assert re.fullmatch(r"1!\d+\.\d+\.\d+(\.dev\d+)?", nr_tunnel.__version__)


def test_is_typed() -> None:
    assert (Path(nr_tunnel.__file__).parent / "py.typed").is_file()


def test_base_error_is_exported() -> None:
    assert nr_tunnel.TunnelError is TunnelError
    assert issubclass(TunnelError, Exception)
    assert "TunnelError" in nr_tunnel.__all__
