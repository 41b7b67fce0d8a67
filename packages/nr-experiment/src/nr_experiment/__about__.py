"""Version of the nr-experiment distribution."""

__version__ = "1!0.1.0"
