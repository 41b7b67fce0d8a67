"""Version of the nemo-run distribution."""

__version__ = "1!0.1.0"
