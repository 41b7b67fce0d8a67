"""Lazy entrypoints: a command recorded as text and resolved only when it is needed.

`LazyEntrypoint` stores a target (an import path, a ``.py`` script or a command string), a
factory, a config file and ``(path, op, value)`` overrides, without importing anything;
`LazyEntrypoint.resolve` imports the target and parses the recorded command into a ``Partial``.
`lazy_imports` turns the imports inside a ``with`` block into placeholders (`LazyModule`), so
a script can name its targets without paying for importing them.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import json
import os
import runpy
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from nr_config import Partial
from nr_exec.constants import EnvVar

from nr_cli.errors import CLIError

__all__ = [
    "LAZY_CLI_ENV",
    "LazyEntrypoint",
    "LazyModule",
    "LazyTarget",
    "lazy_cli_enabled",
    "lazy_imports",
    "record_lazy_entrypoint",
]

LAZY_CLI_ENV = EnvVar.LAZY_CLI.value
"""When ``true``, ``run.cli.main(fn)`` records `fn` instead of running it (for `LazyTarget`)."""
_SCRIPT_SUFFIX = ".py"
_PROGRAMS = frozenset({"nemo", "nemorun"})
_PYTHONS = frozenset({"python", "python3"})
_recorded: list[Any] = []


def lazy_cli_enabled() -> bool:
    """True when ``LAZY_CLI`` asks ``run.cli.main`` to record its entrypoint, not run it."""
    return os.environ.get(LAZY_CLI_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def record_lazy_entrypoint(fn: Any) -> None:
    """Remember the entrypoint a script's ``run.cli.main(fn)`` asked to run (under ``LAZY_CLI``)."""
    _recorded.append(fn)


class LazyTarget:
    """A placeholder for an object named by import path (``pkg.mod.fn``/``pkg.mod:fn``) or script.

    Attributes:
        import_path: The import path, or the path of a ``.py`` script whose
            ``run.cli.main(fn)`` call names the entrypoint.
    """

    def __init__(self, import_path: str) -> None:
        self.import_path = import_path

    @property
    def is_script(self) -> bool:
        """True when the target is a ``.py`` script rather than an import path."""
        return self.import_path.endswith(_SCRIPT_SUFFIX)

    def resolve(self) -> Any:
        """Import (or, for a script, execute with ``LAZY_CLI=true``) and return the object.

        Raises:
            CLIError: The module or attribute does not exist, or the script names no entrypoint.
        """
        if self.is_script:
            return _script_entrypoint(Path(self.import_path))
        module_name, sep, attribute = self.import_path.partition(":")
        if not sep:
            module_name, attribute = self.import_path, ""
            with contextlib.suppress(ImportError):
                return importlib.import_module(module_name)
            module_name, _, attribute = self.import_path.rpartition(".")
        try:
            value: Any = importlib.import_module(module_name)
            for part in filter(None, attribute.split(".")):
                value = getattr(value, part)
        except (ImportError, AttributeError, ValueError) as error:
            raise CLIError(
                f"cannot import {self.import_path!r}: {error}",
                argument=self.import_path,
                hint="give module.attribute or module:attribute of an installed module",
            ) from error
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Resolve the target and call it."""
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.import_path!r})"


class LazyModule(LazyTarget):
    """A module imported inside `lazy_imports`: attributes are placeholders for its members."""

    def __getattr__(self, name: str) -> LazyModule:
        if name.startswith("__"):
            raise AttributeError(name)
        return LazyModule(f"{self.import_path}.{name}")


def _script_entrypoint(path: Path) -> Any:
    if not path.is_file():
        raise CLIError(f"script not found: {path}", argument=str(path))
    previous = os.environ.get(LAZY_CLI_ENV)
    os.environ[LAZY_CLI_ENV] = "true"
    _recorded.clear()
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        if previous is None:
            os.environ.pop(LAZY_CLI_ENV, None)
        else:
            os.environ[LAZY_CLI_ENV] = previous
    if not _recorded:
        raise CLIError(
            f"{path} does not call run.cli.main(fn) in its __main__ block", argument=str(path)
        )
    return _recorded[-1]


@contextlib.contextmanager
def lazy_imports(fallback_to_lazy: bool = False) -> Iterator[None]:
    """Make the imports inside the block placeholders instead of importing.

    ``from pkg.models import Model`` binds ``Model`` to ``LazyModule("pkg.models.Model")``;
    nothing is imported until a placeholder is resolved or called.

    Args:
        fallback_to_lazy: Import for real, and use a placeholder only for modules that fail to
            import.

    Yields:
        Nothing; the original import machinery is restored on exit.

    Raises:
        ImportError: A relative import (``from . import x``) inside the block.
    """
    original = builtins.__import__

    def lazy_import(
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> Any:
        if level:
            raise ImportError(f"relative imports are not supported inside lazy_imports ({name!r})")
        if fallback_to_lazy:
            try:
                return original(name, globals, locals, fromlist or (), level)
            except ImportError:
                pass
        return LazyModule(name if fromlist else name.split(".", 1)[0])

    builtins.__import__ = lazy_import
    try:
        yield
    finally:
        builtins.__import__ = original


class _Recorder:
    """``lazy.model.size`` on a `LazyEntrypoint`: records ``op=`` operations on that path."""

    _owner: LazyEntrypoint
    _path: str

    def __init__(self, owner: LazyEntrypoint, path: str) -> None:
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name: str) -> _Recorder:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Recorder(self._owner, f"{self._path}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        if not isinstance(value, _Recorder):
            self._owner._record(f"{self._path}.{name}", "=", value)

    def _op(self, op: str, value: Any) -> _Recorder:
        self._owner._record(self._path, op, value)
        return self

    def __iadd__(self, value: Any) -> _Recorder:
        return self._op("+=", value)

    def __isub__(self, value: Any) -> _Recorder:
        return self._op("-=", value)

    def __imul__(self, value: Any) -> _Recorder:
        return self._op("*=", value)

    def __itruediv__(self, value: Any) -> _Recorder:
        return self._op("/=", value)


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


class LazyEntrypoint:
    """A command line recorded without importing its target.

    ``LazyEntrypoint("pkg.train:train", factory="base")`` followed by ``lazy.model.size = 2``
    and ``lazy.lr *= 0.5`` records ``[("model.size", "=", 2), ("lr", "*=", 0.5)]``; a command
    string (``"nemorun llm pretrain --factory base lr=0.1"``, ``"python train.py epochs=2"``)
    is split into its target, options and overrides.

    Attributes:
        _target_: The target: a function, a `LazyTarget`, or (for ``nemorun GROUP CMD``) the
            command words.
        _factory_: The ``--factory`` value, if any.
        _yaml_: The ``--yaml`` file, if any.
        _args_: The recorded ``(path, op, value)`` overrides, in order.
    """

    _target_: Any
    _factory_: str | None
    _yaml_: str | None
    _args_: list[tuple[str, str, Any]]

    def __init__(
        self,
        target: Callable[..., Any] | str | LazyTarget,
        factory: str | None = None,
        yaml: str | os.PathLike[str] | None = None,
        overwrites: Sequence[str] | None = None,
    ) -> None:
        from nr_cli.grammar import Assignment, parse_token  # noqa: PLC0415 - grammar is cheap

        object.__setattr__(self, "_args_", [])
        object.__setattr__(self, "_factory_", factory)
        object.__setattr__(self, "_yaml_", str(yaml) if yaml is not None else None)
        tokens = list(overwrites or ())
        resolved: Any = target
        if isinstance(target, str):
            words = shlex.split(target)
            if not words:
                raise CLIError("an empty command cannot be a lazy entrypoint", argument=target)
            resolved, words = _split_command(words)
            tokens = [*words, *tokens]
        object.__setattr__(self, "_target_", resolved)
        from nr_cli.options import parse_options  # noqa: PLC0415 - avoid an import cycle

        options = parse_options(tokens)
        if options.factories:
            object.__setattr__(self, "_factory_", options.factories[-1])
        if options.yaml:
            object.__setattr__(self, "_yaml_", options.yaml[-1])
        for text in options.overrides:
            token = parse_token(text)
            if not isinstance(token, Assignment) or token.prefix not in ("", "++"):
                raise CLIError(
                    "lazy overrides must be path=value (or ++path=value)",
                    argument=text,
                    hint="+path=value and ~path need the task resolved: drop --lazy",
                )
            self._args_.append((token.path, token.op, token.value))

    def _record(self, path: str, op: str, value: Any) -> None:
        self._args_.append((path, op, value))

    def __getattr__(self, name: str) -> _Recorder:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Recorder(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if not isinstance(value, _Recorder):
            self._record(name, "=", value)

    @property
    def target_path(self) -> str:
        """The target as text: an import path, a script path or the command words."""
        return self._target_text(dotted=False)

    def _target_text(self, *, dotted: bool) -> str:
        target = self._target_
        if isinstance(target, LazyTarget):
            return target.import_path
        if isinstance(target, list):
            return " ".join(target)
        return f"{target.__module__}{'.' if dotted else ':'}{target.__qualname__}"

    def command_args(self) -> list[str]:
        """The recorded command as command-line arguments (options, then overrides)."""
        args = [] if self._factory_ is None else ["--factory", self._factory_]
        args += [] if self._yaml_ is None else ["--yaml", self._yaml_]
        return args + [f"{path}{op}{_value_text(value)}" for path, op, value in self._args_]

    def entrypoint(self) -> Any:
        """Import the target and return its `Entrypoint` (made on the fly for a plain function)."""
        from nr_cli.entrypoints import ENTRYPOINT_ATTRIBUTE, Entrypoint  # noqa: PLC0415

        target = self._target_
        if isinstance(target, list):
            from nr_cli.app import find_group_command  # noqa: PLC0415 - the app is separate

            point, _ = find_group_command(target)
            return point
        fn = target.resolve() if isinstance(target, LazyTarget) else target
        point = getattr(fn, ENTRYPOINT_ATTRIBUTE, None)
        return point if isinstance(point, Entrypoint) else Entrypoint(fn)

    def resolve(self, ctx: Any = None) -> Partial[Any]:
        """Import the target and parse the recorded command into a ``Partial``.

        Args:
            ctx: A `RunContext` given to the function's ``ctx`` parameter, if it has one.

        Returns:
            The configured function.

        Raises:
            CLIError: The target cannot be imported, or an override does not apply.
        """
        from nr_cli.command import parse_invocation  # noqa: PLC0415 - command imports this

        point = self.entrypoint()
        task = parse_invocation(point, self.command_args()).task
        if ctx is not None and point.context_parameter:
            setattr(task, point.context_parameter, ctx)
        return task

    def __nr_resolve__(self) -> Partial[Any]:
        """Resolve (see `resolve`): ``run.run(lazy)`` and ``exp.add(lazy)`` call it first."""
        return self.resolve()

    def to_config(self) -> Partial[Any]:
        """Resolve (see `resolve`): a lazy entrypoint builds as what it resolves to."""
        return self.resolve()

    def to_dict(self, *, dotted_targets: bool = False) -> dict[str, Any]:
        """The recorded command as plain data (what ``--lazy --to-yaml`` writes).

        Args:
            dotted_targets: Write a function target as ``module.qualname`` rather than
                ``module:qualname``.
        """
        return {
            "_target_": self._target_text(dotted=dotted_targets),
            "_factory_": self._factory_,
            "_yaml_": self._yaml_,
            "_args_": [[path, op, value] for path, op, value in self._args_],
        }

    def export(self, target: str, *, dotted_targets: bool = False) -> Path:
        """Write `to_dict` to ``path[:section]`` (format by extension: YAML, JSON or TOML).

        The document is plain data (``_target_``, ``_factory_``, ``_yaml_``, ``_args_``), not the
        canonical configuration form, so it is written here rather than by ``nr_config.dump``.

        Args:
            target: ``path`` or ``path:section``.
            dotted_targets: Write a function target as ``module.qualname`` (see `to_dict`).

        Returns:
            The file written.

        Raises:
            CLIError: An unknown extension.
        """
        head, sep, section = target.rpartition(":")
        path = Path(head if sep and Path(head).suffix in _WRITERS else target)
        writer = _WRITERS.get(path.suffix.lower())
        if writer is None:
            raise CLIError(
                f"cannot export to {target!r}: unknown file type",
                argument=target,
                hint="use a .yaml, .yml, .json or .toml file",
            )
        data: dict[str, Any] = self.to_dict(dotted_targets=dotted_targets)
        if str(path) != target:
            data = {section: data}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(writer(data), encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"LazyEntrypoint({self.target_path!r}, args={self.command_args()!r})"


def _yaml_text(data: dict[str, Any]) -> str:
    import yaml  # noqa: PLC0415 - only for exports

    return str(yaml.safe_dump(data, sort_keys=False))


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def _toml_text(data: dict[str, Any]) -> str:
    import tomli_w  # noqa: PLC0415 - only for exports

    def safe(value: Any) -> Any:  # TOML has no null: a missing key says the same
        if isinstance(value, dict):
            return {k: safe(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [safe(item) for item in value]
        return value

    return tomli_w.dumps(safe(data))


_WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    ".yaml": _yaml_text,
    ".yml": _yaml_text,
    ".json": _json_text,
    ".toml": _toml_text,
}


def _split_command(words: list[str]) -> tuple[Any, list[str]]:
    """Split a command string into its target and the remaining argument words."""
    if words[0] in _PYTHONS and len(words) > 1:
        words = words[1:]
    head = Path(words[0]).name
    if head in _PROGRAMS:
        command = []
        for word in words[1:]:
            if word.startswith("-") or "=" in word:
                break
            command.append(word)
        return command, words[1 + len(command) :]
    return LazyTarget(words[0]), words[1:]
