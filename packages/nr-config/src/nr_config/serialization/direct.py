"""Build objects straight from canonical JSON, without making configuration objects first.

This is the in-job runner's decoder: the launcher validated the configuration before saving it,
so the job only has to rebuild what it describes. `build_json` gives what
``nr_config.build(nr_config.loads_json(text))`` gives (a ``Partial`` builds to a
`functools.partial`, a node shared through ``_id_``/``_ref_`` is built once and its result shared,
positional-only parameters are passed by position), but creates no `Config` or `Partial`, checks
no annotations and imports only cheap parts of the standard library: no pydantic, no
`nr_config.validation`, no `typing`, no `re`. Every tag of the canonical format
(`nr_config.serialization.canonical`) is read; ``__main__:...`` references resolve through the
saved launching script exactly as `nr_config.serialization.refs` resolves them (the same
`loading_main_module` guard applies).
"""

from __future__ import annotations

from functools import partial  # already loaded by ``python -m`` (runpy), so free in a job

from nr_config.messages import describe_value, join_path
from nr_config.serialization.refs import MainModule, resolve

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from nr_config.errors import DeserializationError

__all__ = ["build_dict", "build_json", "decode_tagged"]

_RESERVED = frozenset({"_target_", "_partial_", "_call_", "_id_", "_ref_", "_type_"})
_PRIMITIVES = frozenset({type(None), bool, int, float, str})
# Builtin classes whose signature cannot be read, as `nr_config.signatures` describes them.
_BUILTIN_POSITIONAL_ONLY: dict[object, tuple[str, ...]] = {
    int: ("x",),
    bool: ("x",),
    str: (),
    bytes: ("source",),
    bytearray: ("source",),
    set: ("iterable",),
    frozenset: ("iterable",),
}
_FUNCTION = type(join_path)  # types.FunctionType, without importing types


def build_json(text: str | bytes, *, main_module: MainModule = None) -> Any:
    """Build the objects that canonical JSON `text` describes.

    Args:
        text: A configuration graph as canonical JSON (`nr_config.dumps_json`).
        main_module: What ``__main__:...`` references resolve against: a module, or the path of
            a saved copy of the launching script (default: the registered main module).

    Returns:
        What building the graph gives: for a ``Partial``, a `functools.partial`.

    Raises:
        DeserializationError: The text is not JSON, is malformed, or names something that cannot
            be imported.
        Exception: Whatever a target raises while it is called.
    """
    return build_dict(_parse_json(text), main_module=main_module)


def build_dict(data: Any, *, main_module: MainModule = None) -> Any:
    """Build the objects that the canonical form `data` describes (see `build_json`)."""
    return _Builder(data, main_module).value(data, "")


def _deserialization_error() -> type[DeserializationError]:
    from nr_config.errors import DeserializationError  # noqa: PLC0415 - loaded when needed

    return DeserializationError


def _error(path: str, message: str) -> DeserializationError:
    """The error to raise for malformed data at `path` (the error classes load on first use)."""
    return _deserialization_error()(path, message)


def _parse_json(text: str | bytes) -> Any:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    scan = _c_scanner()
    if scan is not None:
        start = _skip_space(text, 0)
        try:
            value, end = scan(text, start)
        except (StopIteration, ValueError, SystemError):
            # Malformed (the C scanner raises SystemError for it until `json` is imported,
            # since its error class lives there): the full parser below says what is wrong.
            pass
        else:
            if _skip_space(text, end) == len(text):
                return value
    import json  # noqa: PLC0415 - imports re; only needed to describe malformed text

    try:
        return json.loads(text)
    except ValueError as error:
        raise _error("", f"invalid JSON: {error}") from None


def _c_scanner() -> Callable[[str, int], tuple[Any, int]] | None:
    """`json`'s C scanner, without importing `json` (which imports `re`); None if absent."""
    try:
        from _json import make_scanner  # noqa: PLC0415
    except ImportError:  # pragma: no cover - CPython always has _json
        return None
    scanner: Callable[[str, int], tuple[Any, int]] = make_scanner(_JsonContext())  # type: ignore[arg-type]
    return scanner


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index


def _parse_constant(name: str) -> float:
    # ``NaN``, ``Infinity`` and ``-Infinity``, which `json.loads` accepts too.
    return float(name.replace("Infinity", "inf").replace("NaN", "nan"))


class _JsonContext:
    """The settings `_json.make_scanner` reads: those of `json.loads` with no hooks."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_parse_constant)


def _positional_only(target: Any) -> tuple[str, ...]:
    """Names of `target`'s positional-only parameters, in order (as `inspect` reads them)."""
    if isinstance(target, type) and target in _BUILTIN_POSITIONAL_ONLY:
        return _BUILTIN_POSITIONAL_ONLY[target]
    fast = _code_positional_only(target)
    if fast is not None:
        return fast
    import inspect  # noqa: PLC0415 - only for targets the fast path cannot read

    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_ONLY)


def _code_positional_only(target: Any) -> tuple[str, ...] | None:
    """Read positional-only names from a plain function's code; None when that is not enough."""
    skip = 0
    function = target
    if isinstance(target, type):
        new: object = target.__new__
        if type(target).__call__ is not type.__call__ or new is not object.__new__:
            return None
        function = next(vars(k)["__init__"] for k in target.__mro__ if "__init__" in vars(k))
        skip = 1
    if type(function) is not _FUNCTION or hasattr(target, "__signature__"):
        return None
    if hasattr(function, "__wrapped__"):  # `inspect` follows it to the wrapped function
        return None
    code = function.__code__
    names: tuple[str, ...] = code.co_varnames[skip : code.co_posonlyargcount]
    return names


class _Builder:
    def __init__(self, root: Any, main_module: MainModule) -> None:
        self.main_module = main_module
        self.targets: dict[str, Any] = {}
        self.positional: dict[int, tuple[str, ...]] = {}
        self.built: dict[object, Any] = {}
        self.definitions: dict[object, tuple[dict[str, Any], str]] = {}
        self.active: set[object] = set()
        self._collect(root, "")

    def _collect(self, data: Any, path: str) -> None:
        if type(data) is dict:
            if "_id_" in data and "_target_" in data:
                self.definitions[data["_id_"]] = (data, path)
            for key, item in data.items():
                if type(item) is dict or type(item) is list:
                    self._collect(item, join_path(path, str(key)))
        elif type(data) is list:
            for index, item in enumerate(data):
                self._collect(item, f"{path}[{index}]")

    def resolve(self, ref: Any, path: str) -> Any:
        if not isinstance(ref, str):
            raise _error(
                path, f"expected a 'module:qualname' (or 'module.qualname') string, got {ref!r}"
            )
        if ref not in self.targets:
            try:
                self.targets[ref] = resolve(ref, self.main_module)
            except (ImportError, ValueError) as error:
                raise _error(path, f"cannot resolve {ref!r}: {error}") from None
        return self.targets[ref]

    def value(self, data: Any, path: str) -> Any:  # noqa: PLR0911 - one branch per kind
        kind = type(data)
        if kind in _PRIMITIVES:
            return data
        if kind is list:
            return [self.value(item, f"{path}[{i}]") for i, item in enumerate(data)]
        if kind is not dict:
            raise _error(path, f"unexpected {describe_value(data)}")
        if "_ref_" in data:
            return self.reference(data["_ref_"], path)
        if "_target_" in data:
            if data.get("_call_") is False:
                return self.resolve(data["_target_"], path)
            return self.node(data, path)
        if "_type_" in data:
            return self.tagged(data, path)
        return {k: self.value(v, f"{path}[{k!r}]") for k, v in data.items()}

    def reference(self, number: Any, path: str) -> Any:
        if number in self.built:
            return self.built[number]
        if number not in self.definitions:
            raise _error(path, f"reference to unknown _id_ {number!r}")
        definition, where = self.definitions[number]
        return self.node(definition, where)

    def node(self, data: dict[str, Any], path: str) -> Any:
        number = data.get("_id_")
        if number is not None:
            if number in self.built:
                return self.built[number]
            if number in self.active:
                raise _error(path, "the serialized graph contains a cycle")
            self.active.add(number)
        target = self.resolve(data["_target_"], path)
        if not callable(target):
            raise _error(path, f"the target {data['_target_']!r} is not callable")
        keywords = {
            name: self.value(item, join_path(path, name))
            for name, item in data.items()
            if name not in _RESERVED
        }
        positional = []
        for name in self.positional_only(target) if keywords else ():
            if name not in keywords:
                break
            positional.append(keywords.pop(name))
        if data.get("_partial_") is True:
            result = partial(target, *positional, **keywords)
        else:
            result = self.call(target, positional, keywords, path)
        if number is not None:
            self.built[number] = result
            self.active.discard(number)
        return result

    def positional_only(self, target: Any) -> tuple[str, ...]:
        key = id(target)
        if key not in self.positional:
            self.positional[key] = _positional_only(target)
        return self.positional[key]

    @staticmethod
    def call(
        target: Callable[..., Any], positional: list[Any], keywords: dict[str, Any], path: str
    ) -> Any:
        try:
            return target(*positional, **keywords)
        except Exception as error:
            if hasattr(error, "add_note"):
                name = getattr(target, "__qualname__", None) or repr(target)
                error.add_note(f"while building {path or '<root>'} ({name})")
            raise

    def tagged(self, data: dict[str, Any], path: str) -> Any:
        return decode_tagged(data, path, self.value, self.resolve)


def decode_tagged(  # noqa: PLR0911 - one return per tag
    data: dict[str, Any],
    path: str,
    value: Callable[[Any, str], Any],
    resolve_ref: Callable[[Any, str], Any],
) -> Any:
    """Decode a ``{"_type_": ...}`` value; shared by this builder and `from_dict`.

    Args:
        data: The tagged mapping.
        path: Where it is in the graph (for errors).
        value: Decodes a nested value (``value(item, item_path)``).
        resolve_ref: Resolves a ``module:qualname`` reference (``resolve_ref(ref, path)``).

    Raises:
        DeserializationError: Unknown tag, or a malformed value.
    """
    tag = data["_type_"]
    try:
        if tag == "none":
            return None
        if tag in ("tuple", "set", "frozenset"):
            items = [value(item, f"{path}[{i}]") for i, item in enumerate(data["items"])]
            return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
        if tag == "dict":
            return {value(k, path): value(v, f"{path}[{k!r}]") for k, v in data["items"]}
        if tag == "bytes":
            import base64  # noqa: PLC0415 - imports re; only bytes values need it

            return base64.b64decode(data["base64"], validate=True)
        if tag == "float" and data["value"] in ("inf", "-inf", "nan"):
            return float(data["value"])
        if tag == "path":
            return _path_value(data, path)
        if tag == "enum":
            return resolve_ref(data["class"], path)[data["name"]]
        if tag == "int":
            return int(data["value"])
        if tag == "box":
            return value(data["value"], path)
    except _deserialization_error():
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise _error(path, f"malformed {tag!r} value: {error!r}") from None
    raise _error(path, f"unknown _type_ {tag!r}")


def _path_value(data: dict[str, Any], path: str) -> Any:
    import pathlib  # noqa: PLC0415 - only path values need it

    cls = getattr(pathlib, data["class"], None)
    if not (isinstance(cls, type) and issubclass(cls, pathlib.PurePath)):
        raise _error(path, f"unknown path class {data['class']!r}")
    return cls(data["value"])
