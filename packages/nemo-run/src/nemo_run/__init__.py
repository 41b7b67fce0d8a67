"""Configure a Python function or script once, run it anywhere, and manage what ran."""

from nemo_run.__about__ import __version__
from nemo_run.errors import NemoRunError

__all__ = ["NemoRunError", "__version__"]
