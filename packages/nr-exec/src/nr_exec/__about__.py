"""Version of the nr-exec distribution."""

__version__ = "1!0.1.0"
