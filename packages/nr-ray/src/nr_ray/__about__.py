"""Version of the nr-ray distribution."""

__version__ = "1!0.1.0"
