"""Errors raised by nr_package."""

__all__ = ["PackagingError"]


class PackagingError(Exception):
    """Base class of every packaging error raised by nr_package."""
