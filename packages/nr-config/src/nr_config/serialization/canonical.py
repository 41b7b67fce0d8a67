"""The canonical JSON-able form of a configuration graph (`to_dict` / `from_dict`).

Configurations are Hydra-style mappings: ``{"_target_": "module:qualname", **arguments}``, with
``"_partial_": true`` for a `Partial`. Targets are read in the dotted form too
(``"_target_": "module.qualname"``, as NeMo-Run and Hydra write them), and written in it with
``dotted_targets=True``. A class or function used as a plain value is
``{"_target_": ..., "_call_": false}``. A configuration referenced from several places is written
once with ``"_id_": n`` and then as ``{"_ref_": n}``, so sharing survives a round trip.

Values JSON cannot hold exactly are tagged with ``"_type_"``: ``tuple``, ``set``, ``frozenset``,
``dict`` (non-string keys, or keys that look like the reserved ones), ``bytes`` (base64), ``float``
(``inf``, ``-inf``, ``nan``), ``path`` (a `pathlib` path), ``enum`` (a member, by name) and ``none``
(used by TOML, which has no null). Anything else (lambdas, open files, arbitrary objects) is refused
with a `SerializationError` naming its path.
"""

from __future__ import annotations

import base64
import enum
import math
import pathlib
from typing import Any

from nr_config.buildable import Buildable, Config, Partial
from nr_config.errors import (
    ArgumentError,
    ConfigError,
    DeserializationError,
    SerializationError,
    describe_value,
    join_path,
)
from nr_config.serialization.direct import decode_tagged
from nr_config.serialization.refs import MainModule, reference, resolve
from nr_config.traversal import shared_nodes

__all__ = ["RESERVED_KEYS", "from_dict", "to_dict"]

RESERVED_KEYS = frozenset({"_target_", "_partial_", "_call_", "_id_", "_ref_", "_type_"})
_MARKERS = ("_target_", "_ref_", "_type_")
_PRIMITIVES = frozenset({type(None), bool, int, str})


def to_dict(value: Any, *, dotted_targets: bool = False) -> Any:
    """Return the canonical JSON-able form of `value` (usually a `Config` or `Partial`).

    Args:
        value: A configuration graph, or any representable value.
        dotted_targets: Write references as ``module.qualname`` (NeMo-Run's and Hydra's form)
            instead of the unambiguous ``module:qualname``; both forms load.

    Returns:
        Nested dicts, lists, strings, numbers, booleans and None.

    Raises:
        SerializationError: Something cannot be represented; the error names its path.
    """
    return _Encoder(value, dotted=dotted_targets).encode(value, "")


class _Encoder:
    def __init__(self, root: Any, *, dotted: bool) -> None:
        self.dotted = dotted
        self.shared = shared_nodes(root)
        self.ids: dict[int, int] = {}
        self.active: set[int] = set()
        self.refs: dict[int, str] = {}

    def encode(self, value: Any, path: str) -> Any:  # noqa: PLR0911 - one branch per kind
        kind = type(value)
        if kind in _PRIMITIVES:
            return value
        if kind is float:
            return value if math.isfinite(value) else {"_type_": "float", "value": repr(value)}
        if isinstance(value, Buildable):
            return self.node(value, path)
        if kind is list:
            return [self.encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if kind is dict:
            return self.mapping(value, path)
        if kind is tuple:
            items = [self.encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
            return {"_type_": "tuple", "items": items}
        if kind is set or kind is frozenset:
            items = [self.encode(item, f"{path}[?]") for item in value]
            items.sort(key=repr)
            return {"_type_": kind.__name__, "items": items}
        if kind is bytes:
            return {"_type_": "bytes", "base64": base64.b64encode(value).decode("ascii")}
        if isinstance(value, enum.Enum):
            return {"_type_": "enum", "class": self.ref(type(value), path), "name": value.name}
        if isinstance(value, pathlib.PurePath):
            if getattr(pathlib, kind.__name__, None) is not kind:
                raise SerializationError(path, f"cannot serialize path class {kind.__name__}")
            return {"_type_": "path", "class": kind.__name__, "value": str(value)}
        if isinstance(value, type) or callable(value):
            return {"_target_": self.ref(value, path), "_call_": False}
        raise SerializationError(
            path,
            f"cannot serialize {describe_value(value)}; wrap objects in Config(...) so they are "
            "described by their constructor arguments",
        )

    def ref(self, obj: Any, path: str) -> str:
        key = id(obj)
        if key not in self.refs:
            found = reference(obj, dotted=self.dotted)
            if found is None:
                raise SerializationError(
                    path,
                    f"cannot serialize {describe_value(obj)}: it is not importable as "
                    "module:qualname (lambdas, local functions and other unnamed callables "
                    "cannot be serialized)",
                )
            self.refs[key] = found
        return self.refs[key]

    def mapping(self, value: dict[Any, Any], path: str) -> dict[str, Any]:
        if all(type(k) is str for k in value) and not any(k in value for k in _MARKERS):
            return {k: self.encode(v, f"{path}[{k!r}]") for k, v in value.items()}
        items = [
            [self.encode(k, f"{path}[{k!r}]"), self.encode(v, f"{path}[{k!r}]")]
            for k, v in value.items()
        ]
        return {"_type_": "dict", "items": items}

    def node(self, node: Buildable[Any], path: str) -> dict[str, Any]:
        key = id(node)
        if key in self.ids:
            return {"_ref_": self.ids[key]}
        if key in self.active:
            raise SerializationError(path, "the configuration graph contains a cycle")
        self.active.add(key)
        out: dict[str, Any] = {"_target_": self.ref(node.__fn_or_cls__, path)}
        if isinstance(node, Partial):
            out["_partial_"] = True
        elif not isinstance(node, Config):
            raise SerializationError(path, f"cannot serialize {type(node).__name__} nodes")
        if key in self.shared:
            self.ids[key] = len(self.ids) + 1
            out["_id_"] = self.ids[key]
        for name, item in node.__arguments__.items():
            if name in RESERVED_KEYS:
                raise SerializationError(join_path(path, name), "argument name is reserved")
            out[name] = self.encode(item, join_path(path, name))
        self.active.discard(key)
        return out


def from_dict(data: Any, *, main_module: MainModule = None) -> Any:
    """Rebuild a configuration graph from its canonical form.

    Only the modules named by ``_target_`` and ``class`` entries are imported; no code is
    evaluated. Arguments are validated as if they were set by hand.

    Args:
        data: The canonical form (as produced by `to_dict`, or parsed from JSON/YAML/TOML).
        main_module: What ``__main__:...`` references resolve against: a module, or the path of a
            saved copy of the launching script (see `register_main_module`).

    Returns:
        The configuration graph (or plain value).

    Raises:
        DeserializationError: The data is malformed or names something that cannot be imported.
        ConfigError: An argument does not fit its target (unknown name, wrong type).
    """
    return _Decoder(data, main_module).decode(data, "")


class _Decoder:
    def __init__(self, root: Any, main_module: MainModule) -> None:
        self.main_module = main_module
        self.targets: dict[str, Any] = {}
        self.nodes: dict[int, Buildable[Any]] = {}
        self.definitions: dict[int, tuple[dict[str, Any], str]] = {}
        self.active: set[int] = set()
        self._collect(root, "")

    def _collect(self, data: Any, path: str) -> None:
        if isinstance(data, dict):
            if "_id_" in data and "_target_" in data:
                self.definitions[data["_id_"]] = (data, path)
            for key, item in data.items():
                self._collect(item, join_path(path, str(key)))
        elif isinstance(data, list):
            for index, item in enumerate(data):
                self._collect(item, f"{path}[{index}]")

    def resolve(self, ref: Any, path: str) -> Any:
        if not isinstance(ref, str):
            raise DeserializationError(
                path, f"expected a 'module:qualname' (or 'module.qualname') string, got {ref!r}"
            )
        if ref not in self.targets:
            try:
                self.targets[ref] = resolve(ref, self.main_module)
            except (ImportError, ValueError) as error:
                raise DeserializationError(path, f"cannot resolve {ref!r}: {error}") from None
        return self.targets[ref]

    def decode(self, data: Any, path: str) -> Any:  # noqa: PLR0911 - one branch per kind
        kind = type(data)
        if kind in _PRIMITIVES or kind is float:
            return data
        if kind is list:
            return [self.decode(item, f"{path}[{i}]") for i, item in enumerate(data)]
        if kind is not dict:
            raise DeserializationError(path, f"unexpected {describe_value(data)}")
        if "_ref_" in data:
            return self.reference(data["_ref_"], path)
        if "_target_" in data:
            if data.get("_call_") is False:
                return self.resolve(data["_target_"], path)
            return self.node(data, path)
        if "_type_" in data:
            return self.tagged(data, path)
        return {k: self.decode(v, f"{path}[{k!r}]") for k, v in data.items()}

    def reference(self, number: Any, path: str) -> Buildable[Any]:
        if number in self.nodes:
            return self.nodes[number]
        if number not in self.definitions:
            raise DeserializationError(path, f"reference to unknown _id_ {number!r}")
        definition, where = self.definitions[number]
        return self.node(definition, where)

    def node(self, data: dict[str, Any], path: str) -> Buildable[Any]:
        number = data.get("_id_")
        if number is not None and number in self.nodes:
            return self.nodes[number]
        if number is not None and number in self.active:
            raise DeserializationError(path, "the serialized graph contains a cycle")
        if number is not None:
            self.active.add(number)
        target = self.resolve(data["_target_"], path)
        cls: type[Buildable[Any]] = Partial if data.get("_partial_") is True else Config
        arguments = {
            name: self.decode(item, join_path(path, name))
            for name, item in data.items()
            if name not in RESERVED_KEYS
        }
        try:
            node = cls(target, **arguments)
        except ArgumentError as error:
            raise error.prefixed(path) from None
        except ConfigError as error:
            raise DeserializationError(path, str(error)) from None
        if number is not None:
            self.nodes[number] = node
            self.active.discard(number)
        return node

    def tagged(self, data: dict[str, Any], path: str) -> Any:
        return decode_tagged(data, path, self.decode, self.resolve)
