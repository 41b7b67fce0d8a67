"""Read NeMo-Run's ``zlib_json`` metadata (Fiddle's JSON object graph) as plain data.

NeMo-Run stores configurations as Fiddle's serialization JSON, zlib-compressed and URL-safe
base64 encoded. The JSON is an object graph: ``{"root": ..., "objects": {key: ...}, ...}``;
a value is a JSON primitive, a list, ``{"type": "ref", "key": k}`` (an entry of
``objects``), ``{"type": "pyref", "module": m, "name": n}`` (an importable Python name),
``{"type": "leaf", "value": v}``, or a traversable node ``{"type": <pyref of its class>,
"items": [[<path element text>, value], ...], "metadata": ...}``.

This module decodes that graph without Fiddle or NeMo-Run and without importing anything the
data names: references stay :class:`PyRef` values and nodes stay :class:`Node` values, which
:mod:`nr_experiment.importing.translate` turns into nr-config's canonical form.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from typing import Any

from nr_experiment.errors import HistoryImportError

__all__ = ["Node", "PyRef", "decode_graph", "decode_zlib_json"]


@dataclass(frozen=True)
class PyRef:
    """A reference to an importable Python name (never imported here).

    Attributes:
        module: The module's dotted name.
        name: The qualified name inside it (``Class.MEMBER`` for an enum member).
    """

    module: str
    name: str

    @property
    def dotted(self) -> str:
        """``module.name``."""
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class Node:
    """A traversable value of the graph: an instance of ``kind`` described by its children.

    Attributes:
        kind: Its class.
        values: The flattened children, in order.
        metadata: What the class needs besides the children (decoded the same way).
    """

    kind: PyRef
    values: tuple[Any, ...]
    metadata: Any


def decode_zlib_json(text: str, what: str) -> Any:
    """Decode one ``zlib_json`` string (base64, zlib, Fiddle JSON) into plain data.

    Args:
        text: The stored string.
        what: What it is (named in errors, e.g. ``"_CONFIG of exp_1"``).

    Returns:
        The decoded graph's root (see :func:`decode_graph`).

    Raises:
        HistoryImportError: The string is not NeMo-Run's ``zlib_json``.
    """
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(text.strip().encode("ascii")))
        document = json.loads(raw)
    except (binascii.Error, zlib.error, UnicodeError, ValueError) as error:
        raise HistoryImportError(
            f"{what}: not NeMo-Run's zlib_json (base64 of zlib-compressed JSON): {error}"
        ) from None
    return decode_graph(document, what)


def decode_graph(document: Any, what: str) -> Any:
    """Decode Fiddle's serialization JSON (already parsed) into plain data.

    Args:
        document: ``{"root": ..., "objects": {...}, ...}``.
        what: What it is (named in errors).

    Returns:
        The root as primitives, lists, :class:`PyRef` and :class:`Node` values; a shared
        object is the same Python object wherever it is referenced.

    Raises:
        HistoryImportError: The document is not Fiddle's serialization JSON.
    """
    if not isinstance(document, dict) or "root" not in document:
        raise HistoryImportError(f"{what}: expected Fiddle's JSON with a 'root' key")
    objects = document.get("objects") or {}
    if not isinstance(objects, dict):
        raise HistoryImportError(f"{what}: 'objects' is not a JSON object")
    return _Graph(objects, what).value(document["root"])


class _Graph:
    def __init__(self, objects: dict[str, Any], what: str) -> None:
        self.objects = objects
        self.what = what
        self.done: dict[str, Any] = {}
        self.active: set[str] = set()

    def fail(self, detail: str) -> HistoryImportError:
        return HistoryImportError(f"{self.what}: {detail}")

    def value(self, data: Any) -> Any:
        if isinstance(data, list):
            return [self.value(item) for item in data]
        if not isinstance(data, dict):
            return data
        kind = data.get("type")
        if kind == "ref":
            return self.ref(data.get("key"))
        if kind == "pyref":
            return self.pyref(data)
        if kind == "leaf":
            return data.get("value")
        if isinstance(kind, dict) and kind.get("type") == "pyref":
            items = data.get("items")
            if not isinstance(items, list) or not all(
                isinstance(item, list) and len(item) == 2 for item in items
            ):
                raise self.fail(f"node of {self.pyref(kind).dotted} has malformed 'items'")
            values = tuple(self.value(item[1]) for item in items)
            return Node(self.pyref(kind), values, self.value(data.get("metadata")))
        raise self.fail(f"unknown value of type {kind!r}")

    def ref(self, key: Any) -> Any:
        if not isinstance(key, str) or key not in self.objects:
            raise self.fail(f"reference to unknown object {key!r}")
        if key in self.done:
            return self.done[key]
        if key in self.active:
            raise self.fail(f"object {key!r} contains itself")
        self.active.add(key)
        self.done[key] = self.value(self.objects[key])
        self.active.discard(key)
        return self.done[key]

    def pyref(self, data: dict[str, Any]) -> PyRef:
        module, name = data.get("module"), data.get("name")
        if not isinstance(module, str) or not isinstance(name, str):
            raise self.fail(f"malformed Python reference {data!r}")
        return PyRef(module, name)
