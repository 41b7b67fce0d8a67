"""Errors raised by nr_ray."""

__all__ = ["RayError"]


class RayError(Exception):
    """Base class of every Ray error raised by nr_ray."""
