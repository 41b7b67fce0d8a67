"""`autoconvert`: turn a factory that constructs objects into one that returns their `Config`.

The decorated function's source is parsed and every call ``X(...)`` in its body is routed through
a small dispatcher: when ``X`` is a configurable class (not a builtin or standard-library class, an
`Enum` or an exception, nor `Config`/`Partial` themselves) the call becomes ``Config(X, ...)``;
calls of other autoconvert functions already return configurations; every other call (plain
functions, builtins, methods) runs normally.

When the source is not available (functions created by ``exec``), the function runs with a copy
of its globals in which each configurable class it names is replaced by a stand-in that returns a
`Config`; classes reached through attributes (``module.Class(...)``) are then not converted.
Calls inside nested functions and lambdas are never converted.
"""

from __future__ import annotations

import ast
import builtins
import enum
import functools
import inspect
import sys
import textwrap
import types
from collections.abc import Callable
from typing import Any, Generic, Literal, ParamSpec, TypeVar, overload

from nr_config.buildable import Buildable, Config, Partial, to_config
from nr_config.errors import ConfigError

__all__ = ["AutoConverted", "autoconvert"]

P = ParamSpec("P")
T = TypeVar("T")
_DISPATCH = "__nr_autoconvert_call__"


def _configurable(target: Any) -> bool:
    if not isinstance(target, type) or issubclass(target, (Buildable, enum.Enum, BaseException)):
        return False
    top = target.__module__.partition(".")[0]
    return top != "builtins" and top not in sys.stdlib_module_names


def _dispatch(target: Any, /, *args: Any, **kwargs: Any) -> Any:
    if _configurable(target):
        return Config(target, *args, **kwargs)
    return target(*args, **kwargs)


class _Rewriter(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        return ast.Call(
            func=ast.Name(id=_DISPATCH, ctx=ast.Load()),
            args=[node.func, *node.args],
            keywords=node.keywords,
        )

    def visit_Lambda(self, node: ast.Lambda) -> ast.Lambda:
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        return node

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AsyncFunctionDef:
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        return node


def _rewrite(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """Compile a factory making the rewritten function, or None when the source is unavailable."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        filename = inspect.getsourcefile(fn) or "<autoconvert>"
        first_line = fn.__code__.co_firstlineno
    except (OSError, TypeError):
        return None
    tree = ast.parse(source)
    definition = tree.body[0]
    if not isinstance(definition, ast.FunctionDef):
        raise ConfigError(f"autoconvert supports plain 'def' functions, not {fn!r}")
    definition.decorator_list = []
    rewriter = _Rewriter()
    definition.args = rewriter.visit(definition.args)
    definition.body = [rewriter.visit(statement) for statement in definition.body]
    parameters = [_DISPATCH, *fn.__code__.co_freevars]
    outer = ast.FunctionDef(
        name="__nr_autoconvert_outer__",
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=name) for name in parameters],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=[definition, ast.Return(value=ast.Name(id=definition.name, ctx=ast.Load()))],
        decorator_list=[],
    )
    module = ast.Module(body=[outer], type_ignores=[])
    ast.fix_missing_locations(module)
    ast.increment_lineno(module, first_line - 1)
    code = compile(module, filename, "exec")
    namespace: dict[str, Any] = {}
    exec(code, fn.__globals__, namespace)  # noqa: S102 - recompiles the decorated function itself
    factory: Callable[..., Any] = namespace["__nr_autoconvert_outer__"]
    return factory


class _Stand:
    """Stands for a configurable class in a function's globals: calling it makes a `Config`."""

    def __init__(self, target: type) -> None:
        self.target = target

    def __call__(self, *args: Any, **kwargs: Any) -> Config[Any]:
        return Config(self.target, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


def _run_with_stand_ins(fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    if not isinstance(fn, types.FunctionType):
        raise ConfigError(f"autoconvert needs a plain function, got {fn!r}")
    code = fn.__code__
    namespace = dict(fn.__globals__)
    for name in code.co_names:
        value = namespace.get(name, getattr(builtins, name, None))
        if isinstance(value, type) and _configurable(value):
            namespace[name] = _Stand(value)
    clone = types.FunctionType(code, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone(*args, **kwargs)


def _finish(result: Any, partial: bool) -> Any:
    if isinstance(result, list):
        return [_finish(item, partial) for item in result]
    converted = to_config(result)
    if not isinstance(converted, Buildable):
        raise ConfigError(
            f"an autoconvert function must construct a configurable object, it returned {result!r}"
        )
    if partial and isinstance(converted, Config):
        return Partial(converted.__fn_or_cls__, **converted.__arguments__)
    return converted


class AutoConverted(Generic[P, T]):
    """A function wrapped by `autoconvert`; calling it returns a configuration.

    Attributes:
        wrapped: The original function (calling it builds real objects).
        partial: True when the top-level result is a `Partial`.
    """

    __auto_config__ = True

    def __init__(self, fn: Callable[P, Any], *, partial: bool) -> None:
        self.wrapped = fn
        self.partial = partial
        self._factory = _rewrite(fn)
        self._closure = getattr(fn, "__closure__", None) or ()
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run the factory and return the configuration describing its result."""
        if self._factory is None:
            result = _run_with_stand_ins(self.wrapped, args, kwargs)
        else:
            cells = [cell.cell_contents for cell in self._closure]
            result = self._factory(_dispatch, *cells)(*args, **kwargs)
        finished: T = _finish(result, self.partial)
        return finished


@overload
def autoconvert(
    fn: Callable[P, T], /, *, partial: Literal[False] = False
) -> AutoConverted[P, Config[T]]: ...
@overload
def autoconvert(
    *, partial: Literal[False] = False
) -> Callable[[Callable[P, T]], AutoConverted[P, Config[T]]]: ...
@overload
def autoconvert(
    *, partial: Literal[True]
) -> Callable[[Callable[P, T]], AutoConverted[P, Partial[T]]]: ...
def autoconvert(fn: Callable[..., Any] | None = None, /, *, partial: bool = False) -> Any:
    """Decorate a factory so that calling it returns a `Config` of what its body would build.

    Use it bare (``@autoconvert``) or with ``@autoconvert(partial=True)`` to get a `Partial`
    at the top level. A list returned by the factory becomes a list of configurations.

    Example:
        ```py
        @autoconvert
        def base_model() -> Model:
            return Model(hidden=1024, optimizer=Optimizer(lr=1e-3))


        cfg = base_model()  # Config[Model](hidden=1024, optimizer=Config[Optimizer](lr=0.001))
        ```

    Args:
        fn: The factory (when used without parentheses).
        partial: Return a `Partial` instead of a `Config` at the top level.

    Returns:
        The wrapped factory, or a decorator.
    """
    if fn is None:
        return functools.partial(AutoConverted, partial=partial)
    return AutoConverted(fn, partial=partial)
