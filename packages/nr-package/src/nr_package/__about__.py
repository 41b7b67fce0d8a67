"""Version of the nr-package distribution."""

__version__ = "1!0.1.0"
