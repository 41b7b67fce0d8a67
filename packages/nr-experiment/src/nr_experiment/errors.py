"""Errors raised by nr_experiment."""

__all__ = ["ExperimentError"]


class ExperimentError(Exception):
    """Base class of every experiment error raised by nr_experiment."""
