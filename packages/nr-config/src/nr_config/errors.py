"""Errors raised by nr_config."""

__all__ = ["ConfigError"]


class ConfigError(Exception):
    """Base class of every configuration error raised by nr_config."""
