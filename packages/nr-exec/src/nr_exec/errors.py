"""Errors raised by nr_exec.

Every error derives from :class:`ExecError`, so ``except ExecError`` catches all of them.
"""

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)

if TYPE_CHECKING:
    from nr_exec.handle import Handle

__all__ = [
    "BackendError",
    "BatchSubmitError",
    "ExecError",
    "ExecutorConfigError",
    "ExecutorFileError",
    "ExitMarkerError",
    "HandleError",
    "LauncherError",
    "MissingExtraError",
    "UnknownAttributeError",
    "UnknownBackendError",
    "UnknownFieldError",
    "UnsupportedFeatureError",
]


class ExecError(Exception):
    """Base class of every execution error raised by nr_exec."""


class ExecutorConfigError(ExecError, ValueError):
    """An executor (or launcher) field has a wrong type or value.

    Attributes:
        field: The offending field, e.g. ``"LocalExecutor.retries"``.
        expected: What the field accepts.
        given: A short representation of what was given.
    """

    def __init__(self, field: str, expected: str, given: object) -> None:
        self.field = field
        self.expected = expected
        self.given = given
        super().__init__(f"{field}: expected {expected}, got {given!r}")


class LauncherError(ExecutorConfigError):
    """A launcher name is unknown or a launcher cannot be used with an executor."""


class HandleError(ExecError, ValueError):
    """A string is not a valid job handle (``<backend>://<cluster-or-host>/<job-id>``)."""


class ExitMarkerError(ExecError):
    """An exit marker file exists but cannot be read as an exit marker."""


class BackendError(ExecError):
    """A backend failed to carry out an operation (submit, status, logs, cancel)."""


class BatchSubmitError(BackendError):
    """Submission of a batch stopped part way (see ``Backend.submit_batch``).

    Attributes:
        submitted: Handles of the entries submitted before the failure, in batch order.
    """

    def __init__(self, message: str, submitted: "list[list[Handle]]") -> None:
        super().__init__(message)
        self.submitted = submitted


class UnknownBackendError(BackendError, LookupError):
    """No backend is registered for a handle's scheme (``nr_exec.backends`` entry points)."""


class UnsupportedFeatureError(BackendError):
    """A job asks for a feature (detach, job groups, GPUs, ...) its backend does not declare."""


class MissingExtraError(ExecError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class UnknownFieldError(ExecutorConfigError, TypeError):
    """An executor (or launcher) was given a keyword that is none of its fields.

    Attributes:
        suggestions: The closest field names, best first.
    """

    def __init__(self, owner: str, name: str, suggestions: list[str], fields: list[str]) -> None:
        self.field = f"{owner}.{name}"
        self.expected = f"one of {owner}'s fields"
        self.given = name
        self.suggestions = suggestions
        hint = (
            f"did you mean {' or '.join(map(repr, suggestions))}?"
            if suggestions
            else f"its fields are {', '.join(fields)}"
        )
        Exception.__init__(self, f"{owner} has no field {name!r}; {hint}")


class UnknownAttributeError(ExecError, AttributeError):
    """An attribute that is none of an executor's fields was assigned (it would be ignored)."""


class ExecutorFileError(ExecError, LookupError):
    """``import_executor`` found no executors file, or no such name in it."""
