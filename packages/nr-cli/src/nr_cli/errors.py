"""Errors raised by nr_cli."""

__all__ = ["CLIError"]


class CLIError(Exception):
    """Base class of every command-line error raised by nr_cli."""
