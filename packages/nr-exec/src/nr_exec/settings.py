"""Backend settings: the frozen, JSON-round-tripping record an executor hands its backend.

An executor describes; its backend translates. What a backend needs about one job beyond the
job spec (a container's shared-memory size, a Slurm partition) is one frozen dataclass that a
spec carries as JSON (``JobSpec.backend_options``), so a request can be made again from a
saved spec, in any process, without the executor object.
"""

import dataclasses
import enum
import functools
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from nr_exec.errors import BackendError

__all__ = ["BackendSettings", "NoSettings"]

_SettingsT = TypeVar("_SettingsT", bound="BackendSettings")


_SCALARS = (str, int, float, bool, type(None))


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _init_hints(cls: type) -> tuple[frozenset[str], dict[str, Any]]:
    """The init field names of a settings class and its resolved type hints (read once)."""
    names = frozenset(f.name for f in dataclasses.fields(cls) if f.init)
    return names, get_type_hints(cls)


def _to_data(value: object) -> object:
    if isinstance(value, _SCALARS) and not isinstance(value, enum.Enum):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _to_data(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _to_data(v) for k, v in value.items()}
    if isinstance(value, (tuple, list, frozenset, set)):
        return [_to_data(v) for v in value]
    return value


def _from_data(annotation: Any, value: object) -> object:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in get_args(annotation) if a is not type(None)]
        return _from_data(options[0], value) if len(options) == 1 else value
    if origin is tuple and isinstance(value, list):
        args = get_args(annotation)
        item = args[0] if args else Any
        return tuple(_from_data(item, v) for v in value)
    if (
        isinstance(annotation, type)
        and issubclass(annotation, BackendSettings)
        and isinstance(value, Mapping)
    ):
        return annotation.from_options(value)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation(value)
    return value


@dataclasses.dataclass(frozen=True)
class BackendSettings:
    """Base of every backend's settings record (a frozen dataclass).

    Subclasses declare fields of JSON-friendly types (str, int, float, bool, None, tuples,
    mappings, enums, nested settings). :meth:`to_options` and :meth:`from_options`
    round-trip through JSON exactly; unknown keys are refused, so a spec made for another
    backend is caught at ``dryrun``.
    """

    def to_options(self) -> dict[str, Any]:
        """Return the settings as JSON-compatible data."""
        data = _to_data(self)
        assert isinstance(data, dict)  # noqa: S101 - a dataclass gives a mapping
        return data

    def to_json(self) -> str:
        """Return the settings as canonical JSON text."""
        return json.dumps(self.to_options(), sort_keys=True)

    @classmethod
    def from_options(cls: type[_SettingsT], options: Mapping[str, Any]) -> _SettingsT:
        """Read the settings from :meth:`to_options` data.

        Raises:
            BackendError: A key is not a field of these settings, or a required one is
                missing; the message names the settings class and the keys.
        """
        settings_class: type = cls  # a class object is hashable (the cache's key)
        names, hints = _init_hints(settings_class)
        unknown = sorted(set(options) - names)
        if unknown:
            raise BackendError(
                f"{cls.__name__} has no setting {', '.join(map(repr, unknown))} "
                f"(the spec was made for another backend?); known settings: "
                f"{', '.join(sorted(names)) or 'none'}"
            )
        values = {k: _from_data(hints.get(k, Any), v) for k, v in options.items()}
        try:
            return cls(**values)
        except TypeError as exc:
            raise BackendError(
                f"cannot read {cls.__name__} from {dict(options)!r}: {exc}"
            ) from None

    @classmethod
    def from_json(cls: type[_SettingsT], text: str) -> _SettingsT:
        """Parse :meth:`to_json` output."""
        return cls.from_options(json.loads(text))


@dataclasses.dataclass(frozen=True)
class NoSettings(BackendSettings):
    """The settings of a backend that needs nothing beyond the job spec."""
