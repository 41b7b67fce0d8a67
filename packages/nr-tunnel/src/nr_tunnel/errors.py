"""Errors raised by nr_tunnel."""

__all__ = ["TunnelError"]


class TunnelError(Exception):
    """Base class of every tunnel error raised by nr_tunnel."""
