"""Configuration objects for ML experiments: Config, Partial, Script, type validation and serialization."""

from nr_config.__about__ import __version__
from nr_config.errors import ConfigError

__all__ = ["ConfigError", "__version__"]
