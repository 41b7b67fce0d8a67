"""Deterministic, cached and safe code packaging (git archive, patterns, hybrids), usable alone."""

from nr_package.__about__ import __version__
from nr_package.errors import PackagingError

__all__ = ["PackagingError", "__version__"]
