"""Errors raised by nemo_run."""

__all__ = ["NemoRunError"]


class NemoRunError(Exception):
    """Base class of every nemo-run error raised by nemo_run."""
