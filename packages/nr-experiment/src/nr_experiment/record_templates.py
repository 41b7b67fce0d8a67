"""Records of look-alike objects made once: the jobs of an experiment differ in a few strings.

The record of an executor, or of a ``Script``, is ``nr_config.to_dict(value.to_config())``.
The copies of one executor that the jobs of an experiment get differ only in fields holding a
plain ``str``, ``int``, ``bool`` or ``None`` (``experiment_id``, ``job_dir``); so do the
scripts of a sweep (``inline``). The record of such a field is its value itself. So for a
data-only dataclass (see :mod:`nr_exec.snapshot`) described by the default ``to_config``, the
record is made once per class and fingerprint of the other fields and kept as a template;
each further record is a copy of the template with those fields' values put in: the same
data, hence the same bytes on disk, as making it anew.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

from nr_config import ConfigurableMixin
from nr_exec.snapshot import Fingerprint, fields_fingerprint, is_plain_class

__all__ = ["RecordTemplates"]

_CONTAINERS = frozenset({dict, list})


class RecordTemplates:
    """Makes records, from a bounded set of templates where it can.

    Args:
        make: Makes a record the general way (``to_dict(value.to_config())``).
        limit: How many templates are kept (all are dropped when it is reached).
    """

    def __init__(self, make: Callable[[Any], Any], limit: int = 64) -> None:
        self._make = make
        self._limit = limit
        self._templates: dict[tuple[type, Fingerprint], dict[str, Any]] = {}

    def record(self, value: Any) -> Any:
        """Return ``value``'s record (new data: changing it changes no other record)."""
        names = _record_fields(type(value))
        described = None if names is None else fields_fingerprint(value, names)
        if described is None:
            return self._make(value)
        fields, in_place = described
        key = (type(value), fields)
        template = self._templates.get(key)
        if template is None:
            made = self._make(value)
            if type(made) is not dict:
                return made
            if len(self._templates) >= self._limit:
                self._templates.clear()
            self._templates[key] = _copied(made)
            return made
        record = _copied(template)
        for name, item in in_place:
            record[name] = item
        return record


def _record_fields(cls: type) -> tuple[str, ...] | None:
    """The init fields of a class whose record the default ``to_config`` makes, else None."""
    if cls not in _RECORD_FIELDS:
        plain = is_plain_class(cls) and getattr(cls, "to_config", None) is _DEFAULT_TO_CONFIG
        fields = dataclasses.fields(cls) if plain else ()
        _RECORD_FIELDS[cls] = tuple(spec.name for spec in fields if spec.init) if plain else None
    return _RECORD_FIELDS[cls]


_DEFAULT_TO_CONFIG = ConfigurableMixin.to_config
_RECORD_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _copied(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a JSON object (its dicts and lists copied, everything else shared)."""
    return {
        key: _copied_value(value) if type(value) in _CONTAINERS else value
        for key, value in data.items()
    }


def _copied_value(data: Any) -> Any:
    if type(data) is dict:
        return _copied(data)
    return [_copied_value(value) if type(value) in _CONTAINERS else value for value in data]
