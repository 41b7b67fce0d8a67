"""Typed CLI entrypoints, the override grammar and the nemorun console app."""

from nr_cli.__about__ import __version__
from nr_cli.errors import CLIError

__all__ = ["CLIError", "__version__"]
