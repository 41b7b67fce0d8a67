"""Version of the nr-tunnel distribution."""

__version__ = "1!0.1.0"
