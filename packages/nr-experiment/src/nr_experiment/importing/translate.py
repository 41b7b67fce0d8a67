"""Turn decoded NeMo-Run configurations into nr-config's canonical form (``to_dict`` data).

NeMo-Run's own classes (executors, packagers, tunnels, launchers, ``Script``) are mapped to
ours by name; a NeMo-Run class without a counterpart here, or a value Fiddle wrote that has
no canonical form, raises :class:`Unmappable` naming it. Other targets (the user's functions
and classes) are kept as references and are not imported: they are resolved only when a task
is rebuilt (by ``rerun``). Arguments of our classes that they do not take (NeMo-Run's per-run
fields such as ``job_dir``) are left out and reported.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from nr_experiment.importing.fiddle_json import Node, PyRef

__all__ = ["Translation", "Unmappable", "arguments_of", "plain", "translate"]

#: NeMo-Run class name -> our ``module:qualname`` (for targets from a ``nemo_run`` module).
OUR_CLASSES = {
    **{name: f"nr_exec:{name}" for name in (
        "LocalExecutor", "DockerExecutor", "SlurmExecutor", "Torchrun", "FaultTolerance",
        "SlurmTemplate",
    )},
    **{name: f"nr_package:{name}" for name in (
        "Packager", "GitArchivePackager", "PatternPackager", "HybridPackager",
    )},
    "LocalTunnel": "nr_tunnel:LocalTunnel",
    "SSHTunnel": "nr_tunnel:SSHTunnel",
    "Script": "nr_config:Script",
}  # fmt: skip
#: Executor fields NeMo-Run sets for one run (``Executor.assign``); ours derive them.
PER_RUN_FIELDS = frozenset({"experiment_id", "job_dir", "experiment_dir", "job_name"})
_BUILDABLES = {"Config": False, "Partial": True}
_CONFIG_MODULES = ("nemo_run", "fiddle")


class Unmappable(Exception):  # noqa: N818 - an internal signal, turned into a job's refusal
    """A value of NeMo-Run's metadata has no counterpart here (the message says which)."""


@dataclass
class Translation:
    """The canonical data of one configuration, and what was left out on the way.

    Attributes:
        data: nr-config canonical data (``nr_config.from_dict`` reads it).
        dropped: ``path: field`` of each argument our class does not take.
    """

    data: Any
    dropped: list[str] = field(default_factory=list)


def _is_buildable(node: Node) -> bool:
    meta = node.metadata
    return isinstance(meta, Node) and meta.kind.name.endswith("BuildableTraverserMetadata")


def _fields_of(reference: str) -> frozenset[str] | None:
    """The argument names one of our classes takes (None for the user's targets)."""
    if reference not in OUR_CLASSES.values():
        return None
    import importlib  # noqa: PLC0415 - only our own packages, when one of their classes is named

    module, _, name = reference.partition(":")
    target = getattr(importlib.import_module(module), name)
    if dataclasses.is_dataclass(target):
        return frozenset(f.name for f in dataclasses.fields(target) if f.init)
    import inspect  # noqa: PLC0415

    return frozenset(inspect.signature(target).parameters)


def target_of(ref: PyRef) -> str:
    """Our ``module:qualname`` for a NeMo-Run reference.

    Raises:
        Unmappable: A NeMo-Run class without a counterpart here.
    """
    if ref.module == "nemo_run" or ref.module.startswith("nemo_run."):
        if ref.name in OUR_CLASSES:
            return OUR_CLASSES[ref.name]
        raise Unmappable(f"NeMo-Run's {ref.dotted} has no counterpart in this nemo-run")
    if ref.module == "fiddle" or ref.module.startswith("fiddle."):
        raise Unmappable(f"Fiddle's {ref.dotted} cannot be represented here")
    return f"{ref.module}:{ref.name}"


def arguments_of(node: Node) -> tuple[PyRef, dict[str, Any]]:
    """The target and the arguments of a decoded ``Config``/``Partial`` (values as decoded).

    Raises:
        Unmappable: ``node`` is not a Fiddle buildable.
    """
    if not _is_buildable(node):
        raise Unmappable(f"a {node.kind.dotted} is not a configuration")
    meta = node.metadata
    target, names = meta.values[0], plain(meta.values[1])
    if not isinstance(target, PyRef) or not isinstance(names, (list, tuple)):
        raise Unmappable(f"a {node.kind.dotted} without a target or argument names")
    values = {
        str(name): value
        for name, value in zip(names, node.values, strict=False)
        if not (isinstance(value, Node) and value.kind.name == "NoValue")
    }
    return target, values


def plain(value: Any) -> Any:
    """A decoded value as plain Python data (lists, tuples, dicts); references kept.

    Raises:
        Unmappable: A configuration or another node without a plain form.
    """
    if isinstance(value, list):
        return [plain(item) for item in value]
    if not isinstance(value, Node):
        return value
    name = value.kind.dotted
    if name == "builtins.list":
        return [plain(item) for item in value.values]
    if name == "builtins.tuple":
        return tuple(plain(item) for item in value.values)
    if name == "builtins.dict":
        keys = plain(value.metadata)
        return dict(zip(keys, (plain(item) for item in value.values), strict=True))
    raise Unmappable(f"a {name} value has no plain form")


def translate(value: Any, path: str = "") -> Translation:
    """Translate a decoded value into nr-config canonical data.

    Raises:
        Unmappable: Part of it has no counterpart here (the message names its path).
    """
    result = Translation(None)
    result.data = _Translator(result.dropped, _shared(value)).value(value, path)
    return result


def _shared(root: Any) -> set[int]:
    """Ids of the nodes reached more than once (written once, then referenced)."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, Node):
            if id(value) in seen:
                shared.add(id(value))
                continue
            seen.add(id(value))
            stack.extend(value.values)
    return shared


class _Translator:
    def __init__(self, dropped: list[str], shared: set[int]) -> None:
        self.dropped = dropped
        self.shared = shared
        self.ids: dict[int, int] = {}

    def value(self, value: Any, path: str) -> Any:  # noqa: PLR0911 - one branch per kind
        if isinstance(value, list):
            return [self.value(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, PyRef):
            return {"_target_": self.target(value, path), "_call_": False}
        if not isinstance(value, Node):
            return value
        if _is_buildable(value):
            return self.node(value, path)
        name = value.kind.dotted
        items = [self.value(item, f"{path}[{i}]") for i, item in enumerate(value.values)]
        if name == "builtins.list":
            return items
        if name in ("builtins.tuple", "builtins.set", "builtins.frozenset"):
            return {"_type_": value.kind.name, "items": items}
        if name == "builtins.dict":
            keys = [self.value(key, path) for key in plain(value.metadata)]
            if all(isinstance(key, str) and not key.startswith("_") for key in keys):
                return dict(zip(keys, items, strict=True))
            return {
                "_type_": "dict",
                "items": [list(pair) for pair in zip(keys, items, strict=True)],
            }
        if name == "builtins.bytes" and len(items) == 1 and isinstance(items[0], str):
            raw = items[0].encode("raw_unicode_escape")
            return {"_type_": "bytes", "base64": base64.b64encode(raw).decode("ascii")}
        if value.kind.module.split(".")[0] == "nemo_run":
            raise Unmappable(f"{path or '<root>'}: NeMo-Run's {name} has no counterpart here")
        raise Unmappable(f"{path or '<root>'}: a {name} value cannot be represented here")

    def target(self, ref: PyRef, path: str) -> str:
        try:
            return target_of(ref)
        except Unmappable as error:
            raise Unmappable(f"{path or '<root>'}: {error}") from None

    def node(self, node: Node, path: str) -> dict[str, Any]:
        if id(node) in self.ids:
            return {"_ref_": self.ids[id(node)]}
        kind = node.kind
        partial = _BUILDABLES.get(kind.name)
        if partial is None or not kind.module.startswith(_CONFIG_MODULES):
            raise Unmappable(f"{path or '<root>'}: a {kind.dotted} cannot be represented here")
        ref, arguments = arguments_of(node)
        target = self.target(ref, path)
        accepted = _fields_of(target)
        out: dict[str, Any] = {"_target_": target}
        if partial:
            out["_partial_"] = True
        if id(node) in self.shared:
            self.ids[id(node)] = len(self.ids) + 1
            out["_id_"] = self.ids[id(node)]
        for name, item in arguments.items():
            where = f"{path}.{name}" if path else name
            if accepted is not None and (name in PER_RUN_FIELDS or name not in accepted):
                if name not in PER_RUN_FIELDS:
                    self.dropped.append(where)
                continue
            out[name] = self.value(item, where)
        return out
