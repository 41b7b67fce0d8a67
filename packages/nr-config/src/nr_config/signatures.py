"""What a target accepts: parameter names, kinds, defaults and type annotations (cached)."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from typing import Any

__all__ = ["NO_DEFAULT", "SignatureInfo", "signature_info", "target_name"]

NO_DEFAULT: Any = inspect.Parameter.empty
"""Marker for a parameter without a default value."""


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
_UNKNOWN = SignatureInfo(False, (), (), frozenset(), {}, {}, None, None)


def _resolve_hints(target: Callable[..., Any]) -> dict[str, Any]:
    candidates: list[Any] = []
    if isinstance(target, type):
        if dataclasses.is_dataclass(target):
            candidates.append(target)
        candidates.extend(vars(k)["__init__"] for k in target.__mro__ if "__init__" in vars(k))
    else:
        candidates.append(target)
    for candidate in candidates:
        try:
            return typing.get_type_hints(candidate, include_extras=True)
        except Exception:  # noqa: BLE001, S112 - unresolvable hints leave params unchecked
            continue
    return {}


def _inspect(target: Callable[..., Any]) -> SignatureInfo:
    try:
        signature = inspect.signature(target)
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
        names=tuple(names),
        positional=tuple(positional),
        positional_only=frozenset(positional_only),
        defaults=defaults,
        annotations=annotations,
        var_keyword=var_keyword,
        var_keyword_annotation=var_keyword_annotation,
        default_factories=factories,
    )


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
