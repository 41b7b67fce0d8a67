"""What a target accepts: parameter names, kinds, defaults and type annotations (cached)."""

from __future__ import annotations

import dataclasses
import inspect
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["NO_DEFAULT", "SignatureInfo", "signature_info", "target_name"]

NO_DEFAULT: Any = inspect.Parameter.empty
"""Marker for a parameter without a default value."""
_UNIONS: tuple[Any, ...] = (typing.Union, types.UnionType)


def target_name(target: object) -> str:
    """Return a short readable name of a target (its qualified name when it has one)."""
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    return str(name) if name else repr(target)


@dataclasses.dataclass(frozen=True)
class SignatureInfo:
    """The parameters of one target.

    Attributes:
        known: True when the signature could be inspected; otherwise every name is accepted.
        names: Names that can be passed by keyword or position, in signature order.
        positional: Names that can be given positionally, in order.
        positional_only: Names that must be passed positionally when calling the target.
        defaults: Default value per name (`NO_DEFAULT` when required).
        annotations: Resolved annotation per name (absent when unannotated or unresolvable).
        var_keyword: Name of the ``**kwargs`` parameter, if any.
        var_keyword_annotation: Annotation of ``**kwargs`` values, if any.
        default_factories: Per name, the ``default_factory`` of a dataclass field (whose
            signature default is only a marker).
        annotated_optionals: Per name annotated ``Annotated[Optional[X], *metadata]``: ``X`` and
            the metadata (``OptionalDefaultConfig[X]`` is one, see `nr_config.buildable`).
    """

    known: bool
    names: tuple[str, ...]
    positional: tuple[str, ...]
    positional_only: frozenset[str]
    defaults: dict[str, Any]
    annotations: dict[str, Any]
    var_keyword: str | None
    var_keyword_annotation: Any
    default_factories: dict[str, Callable[[], Any]] = dataclasses.field(default_factory=dict)
    annotated_optionals: dict[str, tuple[Any, tuple[Any, ...]]] = dataclasses.field(
        default_factory=dict
    )

    def accepts(self, name: str) -> bool:
        """Return True when `name` can be given to the target."""
        return not self.known or self.var_keyword is not None or name in self.defaults

    def annotation(self, name: str) -> Any:
        """Return the annotation of `name` (`typing.Any` when there is none)."""
        if name in self.annotations:
            return self.annotations[name]
        if name not in self.defaults and self.var_keyword_annotation is not None:
            return self.var_keyword_annotation
        return Any


_CACHE: dict[Any, SignatureInfo] = {}
_P = inspect.Parameter
# Builtin classes whose signature ``inspect`` cannot read, so that ``Config(int, 3)`` binds.
_BUILTIN_SIGNATURES: dict[type, inspect.Signature] = {
    int: inspect.Signature(
        [_P("x", _P.POSITIONAL_ONLY, default=0), _P("base", _P.POSITIONAL_OR_KEYWORD, default=10)]
    ),
    bool: inspect.Signature([_P("x", _P.POSITIONAL_ONLY, default=False)]),
    str: inspect.Signature(
        [
            _P("object", _P.POSITIONAL_OR_KEYWORD, default=""),
            _P("encoding", _P.POSITIONAL_OR_KEYWORD, default="utf-8"),
            _P("errors", _P.POSITIONAL_OR_KEYWORD, default="strict"),
        ]
    ),
    **{
        cls: inspect.Signature(
            [
                _P("source", _P.POSITIONAL_ONLY, default=b""),
                _P("encoding", _P.POSITIONAL_OR_KEYWORD, default="utf-8"),
                _P("errors", _P.POSITIONAL_OR_KEYWORD, default="strict"),
            ]
        )
        for cls in (bytes, bytearray)
    },
    **{
        cls: inspect.Signature([_P("iterable", _P.POSITIONAL_ONLY, default=())])
        for cls in (set, frozenset)
    },
}
_UNKNOWN = SignatureInfo(False, (), (), frozenset(), {}, {}, None, None)


def _resolve_hints(target: Callable[..., Any]) -> dict[str, Any]:
    """The resolved hints of `target` (of a class: its own, or of the ``__init__`` it uses)."""
    candidate: Any = target
    if isinstance(target, type) and not dataclasses.is_dataclass(target):
        candidate = next(vars(k)["__init__"] for k in target.__mro__ if "__init__" in vars(k))
    try:
        return typing.get_type_hints(candidate, include_extras=True)
    except Exception:  # noqa: BLE001 - resolved one by one instead
        return _hints_one_by_one(candidate)


class _Annotated:
    """Holds one raw annotation so that ``typing.get_type_hints`` resolves it alone."""

    def __init__(self, name: str, annotation: Any) -> None:
        self.__annotations__ = {name: annotation}


def _hints_one_by_one(candidate: Any) -> dict[str, Any]:
    """Resolve each annotation alone; one that cannot be resolved stays a `typing.ForwardRef`.

    So ``model: "Model"`` whose class is imported only under ``TYPE_CHECKING`` keeps its name
    (the command line matches factories by it) and the other parameters are still checked.
    """
    sources: list[tuple[Mapping[str, Any], dict[str, Any], dict[str, Any] | None]]
    if isinstance(candidate, type):
        sources = [
            (vars(k).get("__annotations__", {}), vars(sys.modules[k.__module__]), dict(vars(k)))
            for k in reversed(candidate.__mro__)
            if k.__module__ in sys.modules
        ]
    else:
        raw = getattr(candidate, "__annotations__", {})
        sources = [(raw, getattr(candidate, "__globals__", {}), None)]
    hints: dict[str, Any] = {}
    for declared, globalns, localns in sources:
        for name, raw in declared.items():
            try:
                hints[name] = typing.get_type_hints(
                    _Annotated(name, raw), globalns, localns, include_extras=True
                )[name]
            except Exception:  # noqa: BLE001 - an unresolvable name is kept as a reference
                hints[name] = _reference(raw)
    return hints


def _reference(raw: Any) -> Any:
    """Turn an unresolvable string annotation into a `typing.ForwardRef` of the bare name.

    ``"Model"`` and ``"'Model'"`` (how ``from __future__ import annotations`` stores a quoted
    annotation) both become ``ForwardRef("Model")``; other annotations are kept as they are.
    """
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    while len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return typing.ForwardRef(text)


def _inspect(target: Callable[..., Any]) -> SignatureInfo:
    try:
        builtin = _BUILTIN_SIGNATURES.get(target) if isinstance(target, type) else None
        signature = builtin or inspect.signature(target)
    except (TypeError, ValueError):
        return _UNKNOWN
    hints = _resolve_hints(target)
    names: list[str] = []
    positional: list[str] = []
    positional_only: set[str] = set()
    defaults: dict[str, Any] = {}
    annotations: dict[str, Any] = {}
    var_keyword: str | None = None
    var_keyword_annotation: Any = None
    for parameter in signature.parameters.values():
        kind = parameter.kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:
            var_keyword = parameter.name
            var_keyword_annotation = hints.get(parameter.name)
            continue
        names.append(parameter.name)
        defaults[parameter.name] = parameter.default
        if kind is inspect.Parameter.POSITIONAL_ONLY:
            positional_only.add(parameter.name)
        if kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            positional.append(parameter.name)
        if parameter.name in hints:
            annotations[parameter.name] = hints[parameter.name]
    factories: dict[str, Callable[[], Any]] = {}
    if isinstance(target, type) and dataclasses.is_dataclass(target):
        factories = {
            f.name: f.default_factory
            for f in dataclasses.fields(target)
            if f.init and f.default_factory is not dataclasses.MISSING
        }
    return SignatureInfo(
        known=True,
        annotated_optionals={
            name: optional for name in names if (optional := _annotated_optional(hints.get(name)))
        },
        names=tuple(names),
        positional=tuple(positional),
        positional_only=frozenset(positional_only),
        defaults=defaults,
        annotations=annotations,
        var_keyword=var_keyword,
        var_keyword_annotation=var_keyword_annotation,
        default_factories=factories,
    )


def _annotated_optional(annotation: Any) -> tuple[Any, tuple[Any, ...]] | None:
    """For ``Annotated[Optional[X], *metadata]`` return ``(X, metadata)``, else None."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return None
    inner, *metadata = typing.get_args(annotation)
    members = typing.get_args(inner) if typing.get_origin(inner) in _UNIONS else ()
    others = [member for member in members if member is not type(None)]
    if len(others) != 1 or len(others) == len(members):
        return None
    return others[0], tuple(metadata)


def signature_info(target: Callable[..., Any]) -> SignatureInfo:
    """Return the (cached) `SignatureInfo` of `target`.

    Args:
        target: A class or a callable.

    Returns:
        The parameters the target accepts; a permissive info when it cannot be inspected.
    """
    try:
        return _CACHE[target]
    except KeyError:
        info = _inspect(target)
        _CACHE[target] = info
        return info
    except TypeError:  # unhashable callable object
        return _inspect(target)
