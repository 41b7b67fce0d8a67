"""Short descriptions of executors (and other dataclass settings): only what differs from default.

``LocalExecutor(ntasks_per_node=2)`` rather than a 200-character ``repr``, and
``SlurmExecutor(account='acct', tunnel=SSHTunnel(host='login', user='me', ...))`` rather than
1,700 characters. Fields set for one run by the experiment (``experiment_id``, ``job_dir``, ...)
are left out; a nested setting equal to its default disappears entirely.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PER_RUN_FIELDS", "describe", "describe_executors", "describe_record"]

PER_RUN_FIELDS = frozenset(
    {"experiment_id", "experiment_dir", "job_dir", "nemo_run_handles", "done", "source", "task_dir"}
)
"""Fields an experiment sets on each executor for one run: not part of an executor's description.

They are left out of objects that have an ``experiment_id`` field (executors) only: a tunnel's
``job_dir`` is a setting.
"""
_TARGET = "_target_"
_MEMO_SIZE = 256
"""How many distinct executor settings `describe_executors` remembers (oldest forgotten)."""
_memo: dict[str, str] = {}


def _field_default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        try:
            return field.default_factory()
        except Exception:  # noqa: BLE001 - a factory that needs context: treat as no default
            return dataclasses.MISSING
    return dataclasses.MISSING


def _same(value: Any, default: Any) -> bool:
    if default is dataclasses.MISSING:
        return False
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value) is type(default) and _changed(value) == []
    try:
        return bool(value == default)
    except Exception:  # noqa: BLE001 - an exotic __eq__: show the value
        return False


def _changed(obj: Any) -> list[tuple[str, Any]]:
    """The ``(name, value)`` of each field of a dataclass instance that is not its default."""
    changed = []
    fields = dataclasses.fields(obj)
    per_run = PER_RUN_FIELDS if any(f.name == "experiment_id" for f in fields) else frozenset()
    for field in fields:
        if not field.init or field.name in per_run:
            continue
        value = getattr(obj, field.name, dataclasses.MISSING)
        if value is dataclasses.MISSING or _same(value, _field_default(field)):
            continue
        changed.append((field.name, value))
    return changed


def describe(obj: Any) -> str:
    """A one-line description of `obj`: ``Class(field=value, ...)`` with non-default fields.

    Args:
        obj: An executor, tunnel, packager, launcher (any dataclass instance, nested ones
            described the same way); a configuration (its ``repr`` shows only what is set); or
            anything else (its ``repr``).

    Returns:
        For example ``LocalExecutor(ntasks_per_node=2)``, or ``LocalExecutor()``.
    """
    if isinstance(obj, (list, tuple)):
        inner = ", ".join(describe(item) for item in obj)
        return f"[{inner}]" if isinstance(obj, list) else f"({inner})"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in obj.items()) + "}"
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return repr(obj)
    fields = ", ".join(f"{name}={describe(value)}" for name, value in _changed(obj))
    return f"{type(obj).__qualname__}({fields})"


def _record_defaults(target: str) -> dict[str, Any] | None:
    """The JSON-like defaults of the dataclass `target` names (``module:Class``), if importable."""
    module, _, name = target.partition(":")
    try:
        cls: Any = importlib.import_module(module)
        for part in name.split("."):
            cls = getattr(cls, part)
    except Exception:  # noqa: BLE001 - not importable here: no defaults known
        return None
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        return None
    defaults = {}
    for field in dataclasses.fields(cls):
        default = _field_default(field)
        if default is not dataclasses.MISSING:
            defaults[field.name] = default
    return defaults


def _record_same(value: Any, default: Any) -> bool:
    if isinstance(value, Mapping) and _TARGET in value:
        if not (dataclasses.is_dataclass(default) and not isinstance(default, type)):
            return False
        cls = type(default)
        target = f"{cls.__module__}:{cls.__qualname__}"
        return value[_TARGET] == target and _record_fields(value) == []
    if isinstance(default, (list, tuple)) and isinstance(value, list):
        return list(default) == value
    if dataclasses.is_dataclass(default) or default is dataclasses.MISSING:
        return False
    try:
        return bool(value == default)
    except Exception:  # noqa: BLE001 - an exotic __eq__: show the value
        return False


def _record_fields(record: Mapping[str, Any]) -> list[tuple[str, Any]]:
    defaults = _record_defaults(str(record[_TARGET]))
    fields = []
    per_run = PER_RUN_FIELDS if "experiment_id" in record else frozenset()
    for name, value in record.items():
        if name.startswith("_") or name in per_run:
            continue
        if defaults is None:
            if value not in (None, "", [], {}, False):
                fields.append((name, value))
        elif name not in defaults or not _record_same(value, defaults[name]):
            fields.append((name, value))
    return fields


def _record_value(value: Any) -> str:
    if isinstance(value, Mapping) and _TARGET in value:
        return describe_record(value)
    if isinstance(value, list):
        return "[" + ", ".join(_record_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {_record_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def describe_record(record: Any) -> str:
    """`describe` for an executor as the store records it (``{"_target_": "mod:Class", ...}``).

    The class is imported to learn its defaults (executors, tunnels and packagers live in the
    installed layers); when it cannot be imported, fields with an empty value are left out.

    Args:
        record: The JSON record (a mapping with ``_target_``), or any JSON value.

    Returns:
        For example ``SlurmExecutor(account='acct', nodes=2)``.
    """
    if not (isinstance(record, Mapping) and _TARGET in record):
        return _record_value(record)
    name = str(record[_TARGET]).rpartition(":")[2].rpartition(".")[2]
    fields = ", ".join(f"{k}={_record_value(v)}" for k, v in _record_fields(record))
    return f"{name}({fields})"


def _settings_key(records: Sequence[Any]) -> str:
    """The JSON text of `records` without their per-run fields (the same for the same settings)."""
    kept = [
        {k: v for k, v in r.items() if k not in PER_RUN_FIELDS}
        if isinstance(r, Mapping) and "experiment_id" in r
        else r
        for r in records
    ]
    # Not sorted: records of one class keep their field order, and sorting costs a sweep's add.
    return json.dumps(kept, separators=(",", ":"), default=repr)


def describe_executors(executors: Sequence[Any], records: Sequence[Any]) -> str:
    """`describe` of each executor, joined with ``", "``; remembered for look-alike executors.

    A sweep adds thousands of jobs whose executors differ only in their per-run fields: they
    are described once, the description found again by the executors' records.

    Args:
        executors: The executors (live objects), in order.
        records: Their records as the store saves them (``{"_target_": ..., ...}``), parallel
            to ``executors``; what the description is remembered by.

    Returns:
        For example ``SlurmExecutor(nodes=2)``, or ``LocalExecutor(), LocalExecutor()``.
    """
    key = _settings_key(records)
    found = _memo.get(key)
    if found is None:
        found = ", ".join(describe(executor) for executor in executors)
        if len(_memo) >= _MEMO_SIZE:
            _memo.pop(next(iter(_memo)), None)
        _memo[key] = found
    return found
