"""Version of the nr-config distribution."""

__version__ = "1!0.1.0"
