"""``@entrypoint``: expose a function on the command line, and the registry of entrypoints."""

from __future__ import annotations

import builtins
import dataclasses
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

from nr_cli.context import RunContext
from nr_cli.registry import (
    DEFAULT_FACTORY_NAME,
    ENTRYPOINTS,
    FactoryEntry,
    add_factory,
    discover,
    namespace_of,
)

__all__ = ["ENTRYPOINT_ATTRIBUTE", "Entrypoint", "entrypoint", "list_entrypoints"]

F = TypeVar("F", bound=Callable[..., Any])
ENTRYPOINT_ATTRIBUTE = "cli_entrypoint"
"""Attribute set on a decorated function; holds its `Entrypoint`."""


@dataclasses.dataclass
class Entrypoint:
    """A function exposed on the command line, with its defaults.

    Attributes:
        fn: The function.
        name: Command name (default: the function's name).
        namespace: Registry namespace (default: the function's module).
        help: Description shown by ``--help`` (default: the docstring's first paragraph).
        skip_confirmation: Never ask before launching.
        enable_executor: Accept ``run.*`` overrides and launch through an executor.
        default_factory: Factory producing the starting ``Partial`` when ``--factory`` is absent.
        default_executor: Executor (or ``Config`` of one) used when ``run.executor`` is absent.
        default_plugins: Plugins used when ``run.plugins`` is absent.
        type: ``"task"`` (the function is the task) or ``"experiment"`` (the function receives
            the `RunContext` as ``ctx`` and launches an experiment itself).
        run_ctx_cls: The `RunContext` class (a subclass may add fields, set with ``run.<field>``).
    """

    fn: Callable[..., Any]
    name: str = ""
    namespace: str = ""
    help: str = ""
    skip_confirmation: bool = False
    enable_executor: bool = True
    default_factory: Callable[..., Any] | None = None
    default_executor: Any = None
    default_plugins: Any = None
    type: Literal["task", "experiment"] = "task"
    run_ctx_cls: builtins.type[RunContext] = RunContext

    def __post_init__(self) -> None:
        self.name = self.name or self.fn.__name__
        if not self.namespace:
            module = getattr(self.fn, "__module__", "") or ""
            if module == "__main__":
                module = Path(inspect.getfile(self.fn)).stem if _has_file(self.fn) else module
            self.namespace = module
        if not self.help:
            self.help = inspect.cleandoc(self.fn.__doc__ or "").split("\n\n", 1)[0]
        if self.type not in ("task", "experiment"):
            raise TypeError(f"entrypoint type must be 'task' or 'experiment', got {self.type!r}")
        if self.type == "experiment" and self.context_parameter is None:
            raise TypeError(
                f"experiment entrypoint {self.name} must accept a 'ctx: RunContext' parameter"
            )
        if self.type == "task" and self.enable_executor and "executor" in self._parameters():
            raise TypeError(
                f"task entrypoint {self.name} may not have a parameter named 'executor' "
                "(use run.executor=... on the command line)"
            )

    def _parameters(self) -> dict[str, inspect.Parameter]:
        return dict(inspect.signature(self.fn).parameters)

    @property
    def full_name(self) -> str:
        """``namespace.name``, the registry key."""
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    @property
    def context_parameter(self) -> str | None:
        """Name of the parameter receiving the `RunContext` (experiment entrypoints), if any."""
        try:
            hints = typing.get_type_hints(self.fn)
        except Exception:  # noqa: BLE001 - unresolvable hints: fall back to the name
            hints = {}
        for name in self._parameters():
            hint = hints.get(name)
            if isinstance(hint, type) and issubclass(hint, RunContext):
                return name
        return "ctx" if "ctx" in self._parameters() else None

    def main(self, argv: list[str] | None = None) -> Any:
        """Run this entrypoint as a command; see `nr_cli.main`."""
        from nr_cli.command import run_main  # noqa: PLC0415 - command imports this module

        return run_main(self, argv)


def _has_file(fn: Callable[..., Any]) -> bool:
    try:
        inspect.getfile(fn)
    except TypeError:
        return False
    return True


@overload
def entrypoint(fn: F, /) -> F: ...


@overload
def entrypoint(
    fn: None = None,
    /,
    *,
    name: str = "",
    namespace: str = "",
    help: str = "",
    skip_confirmation: bool = False,
    enable_executor: bool = True,
    default_factory: Callable[..., Any] | None = None,
    default_executor: Any = None,
    default_plugins: Any = None,
    type: Literal["task", "experiment"] = "task",
    run_ctx_cls: type[RunContext] = RunContext,
    entrypoint_cls: type[Entrypoint] = Entrypoint,
) -> Callable[[F], F]: ...


def entrypoint(
    fn: F | None = None,
    /,
    *,
    name: str = "",
    namespace: str = "",
    help: str = "",
    skip_confirmation: bool = False,
    enable_executor: bool = True,
    default_factory: Callable[..., Any] | None = None,
    default_executor: Any = None,
    default_plugins: Any = None,
    type: Literal["task", "experiment"] = "task",
    run_ctx_cls: type[RunContext] = RunContext,
    entrypoint_cls: type[Entrypoint] = Entrypoint,
) -> F | Callable[[F], F]:
    """Expose a function on the command line and register it.

    The function is returned unchanged, with an `Entrypoint` in its ``cli_entrypoint`` attribute;
    run it as a command with ``run.cli.main(fn)``.

    Args:
        fn: The function (when used without parentheses).
        name: Command name (default: the function's name).
        namespace: Registry namespace (default: the function's module).
        help: Description for ``--help`` (default: the docstring's first paragraph).
        skip_confirmation: Never ask before launching.
        enable_executor: Accept ``run.*`` overrides and launch through an executor.
        default_factory: Factory producing the starting ``Partial`` of the function; it is also
            registered as the function's ``"default"`` factory
            (``resolve_factory(fn, "default")``).
        default_executor: Executor (or its ``Config``) used unless ``run.executor`` is given.
        default_plugins: Plugins used unless ``run.plugins`` is given.
        type: ``"task"`` or ``"experiment"`` (the function gets ``ctx: RunContext``).
        run_ctx_cls: A `RunContext` subclass to use.
        entrypoint_cls: An `Entrypoint` subclass to create.

    Returns:
        The function, or a decorator.

    Raises:
        TypeError: An experiment entrypoint without ``ctx``, or a task entrypoint with a
            parameter named ``executor``.
    """

    def decorate(function: F) -> F:
        point = entrypoint_cls(
            function,
            name=name,
            namespace=namespace,
            help=help,
            skip_confirmation=skip_confirmation,
            enable_executor=enable_executor,
            default_factory=default_factory,
            default_executor=default_executor,
            default_plugins=default_plugins,
            type=type,
            run_ctx_cls=run_ctx_cls,
        )
        ENTRYPOINTS[point.full_name] = point
        setattr(function, ENTRYPOINT_ATTRIBUTE, point)
        if default_factory is not None:
            add_factory(
                FactoryEntry(
                    DEFAULT_FACTORY_NAME, namespace_of(function), default_factory, None, True
                )
            )
        return function

    if fn is not None:
        return decorate(fn)
    return decorate


def list_entrypoints(namespace: str = "") -> dict[str, Entrypoint]:
    """Return the registered entrypoints, keyed by ``namespace.name``.

    Args:
        namespace: Only entrypoints whose key starts with this prefix (``"mypkg"``).

    Returns:
        The entrypoints, sorted by key.
    """
    discover()
    return {
        key: point
        for key, point in sorted(ENTRYPOINTS.items())
        if not namespace or key == namespace or key.startswith(namespace.rstrip(".") + ".")
    }
