"""Version of the nr-cli distribution."""

__version__ = "1!0.1.0"
