"""Errors raised by nr_config.

Every error derives from `ConfigError`. Errors about one argument carry the dotted `path` of that
argument (``model.layers[0].size``); when an error raised deep inside a graph travels up, the outer
layers prefix the path, so the message names the argument as the user would write it.
"""

from __future__ import annotations

from nr_config.messages import describe_value, join_path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ArgumentError",
    "BuildError",
    "ConfigError",
    "ConfigPathError",
    "ConfigTypeError",
    "DeserializationError",
    "MissingArgumentError",
    "MissingExtraError",
    "RenderError",
    "ScriptError",
    "SerializationError",
    "UnknownArgumentError",
    "describe_value",
    "join_path",
]


class ConfigError(Exception):
    """Base class of every configuration error raised by nr_config."""


class ArgumentError(ConfigError):
    """An error about one argument of a configuration, located by `path`.

    Attributes:
        path: Dotted path of the argument, e.g. ``model.hidden_size``.
        target: Name of the configured target the argument belongs to (may be empty).
        detail: What is wrong, without the location.
    """

    def __init__(self, path: str, detail: str, target: str = "") -> None:
        self.path = path
        self.detail = detail
        self.target = target
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.path or "<root>"
        owner = f" (argument of {self.target})" if self.target else ""
        return f"{where}{owner}: {self.detail}"

    def prefixed(self, prefix: str) -> ArgumentError:
        """Return a copy of this error whose path is prefixed by `prefix`."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.path = join_path(prefix, self.path)
        clone.args = (clone._message(),)
        return clone


class ConfigTypeError(ArgumentError, TypeError):
    """A value does not match the type annotation of the argument it is given to.

    Attributes:
        expected: Readable form of the expected type.
        value: The value that was given.
    """

    def __init__(self, path: str, expected: str, value: object, target: str = "") -> None:
        self.expected = expected
        self.value = value
        super().__init__(path, f"expected {expected}, got {describe_value(value)}", target)


class UnknownArgumentError(ArgumentError, TypeError):
    """An argument name that the target does not accept.

    Attributes:
        name: The unknown name.
        suggestions: The closest valid names, best first.
    """

    def __init__(self, path: str, name: str, suggestions: Sequence[str], target: str = "") -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = ""
        if self.suggestions:
            hint = "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(path, f"unknown argument {name!r}{hint}", target)


class MissingArgumentError(ArgumentError, TypeError):
    """A required argument has no value when the configuration is built."""

    def __init__(self, path: str, target: str = "") -> None:
        super().__init__(path, "missing required argument", target)


class ConfigPathError(ConfigError, LookupError):
    """A path string is malformed or does not lead to a value."""


class BuildError(ConfigError):
    """A configuration graph cannot be built (for example, it contains a cycle)."""


class SerializationError(ArgumentError, ValueError):
    """A value cannot be represented in the serialized form; `path` says where it is."""


class DeserializationError(ArgumentError, ValueError):
    """A serialized document is malformed or names something that cannot be imported."""


class ScriptError(ConfigError, ValueError):
    """A `Script` is invalid (for example, neither `path` nor `inline` is set)."""


class MissingExtraError(ConfigError, ImportError):
    """An optional dependency is needed but not installed; the message names the extra."""


class RenderError(ConfigError, ValueError):
    """A view of a configuration cannot be written as asked (for example, a non-PNG image path)."""
