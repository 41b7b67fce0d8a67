"""Errors raised by nr_cli.

Every usage error is a `CLIError`: it names the argument it is about and may carry a hint. The
command layer prints ``error: <message>`` on one line and exits with code 2 (``--verbose`` adds the
traceback).
"""

from __future__ import annotations

__all__ = [
    "AmbiguousFactoryError",
    "CLIError",
    "ConfigFileError",
    "FactoryNotFoundError",
    "GrammarError",
    "OperationError",
    "UnknownArgumentError",
    "UnknownOptionError",
    "ValueParseError",
]


class CLIError(Exception):
    """Base class of every command-line usage error raised by nr_cli.

    Attributes:
        message: What is wrong.
        argument: The command-line argument (or argument path) the error is about; may be empty.
        hint: A short suggestion on how to fix it; may be empty.
    """

    def __init__(self, message: str, *, argument: str = "", hint: str = "") -> None:
        self.message = message
        self.argument = argument
        self.hint = hint
        super().__init__(self.user_message())

    def user_message(self) -> str:
        """Return the one-line message shown to the user."""
        where = f"{self.argument}: " if self.argument and self.argument not in self.message else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class GrammarError(CLIError):
    """A token cannot be split into a path, an operator and a value (unbalanced brackets, ...)."""


class ValueParseError(CLIError):
    """A value string cannot be read as the type of the parameter it is given to."""


class UnknownArgumentError(CLIError):
    """An argument name the target does not accept.

    Attributes:
        name: The unknown name.
        suggestions: The closest valid names, best first.
    """

    def __init__(self, name: str, target: str, suggestions: list[str], *, argument: str) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = ""
        if suggestions:
            hint = "did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        message = f"Unknown argument {name!r} for {target}"
        message += f"; {hint}" if hint else ""
        super().__init__(message, argument=argument)


class UnknownOptionError(CLIError):
    """A command-line option (``--flag``) that the command does not define."""


class OperationError(CLIError):
    """An in-place operator (``+=``, ``*=``, ...) that cannot be applied to the current value."""


class FactoryNotFoundError(CLIError):
    """A factory name that is neither registered for the parameter's type nor importable."""


class AmbiguousFactoryError(CLIError):
    """A factory name registered by several unrelated namespaces for the same parameter."""


class ConfigFileError(CLIError):
    """An ``@file`` (or ``--yaml`` file) that cannot be read or applied."""
