"""Errors raised by nr_exec."""

__all__ = ["ExecError"]


class ExecError(Exception):
    """Base class of every execution error raised by nr_exec."""
