"""Errors raised by the nemo_run façade itself.

Each layer raises its own errors (``nr_config.ConfigError``, ``nr_exec.ExecError``, ...); the façade
adds only errors about its own use, such as asking for an API name that does not exist.
"""

__all__ = ["NemoRunError", "NotAvailableYetError"]


class NemoRunError(Exception):
    """Base class of every error raised by the nemo_run façade itself."""


class NotAvailableYetError(NemoRunError, NotImplementedError):
    """A documented NeMo-Run name whose backend has not landed in this release.

    The message says which extra the backend will need once it lands.
    """
