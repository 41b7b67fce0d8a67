"""Typed CLI entrypoints, the override grammar and the nemorun console app.

Names are loaded on first access, so ``import nr_cli`` (and the ``nemorun`` app) stays cheap.
"""

import importlib

from nr_cli.__about__ import __version__
from nr_cli.errors import (
    AmbiguousFactoryError,
    CLIError,
    ConfigFileError,
    FactoryNotFoundError,
    GrammarError,
    OperationError,
    UnknownArgumentError,
    UnknownOptionError,
    ValueParseError,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from nr_cli.app import create_cli
    from nr_cli.command import main, parse_cli_args, parse_config, parse_partial
    from nr_cli.context import RunContext
    from nr_cli.entrypoints import Entrypoint, entrypoint, list_entrypoints
    from nr_cli.factories import factory, list_factories, resolve_factory
    from nr_cli.helptext import help
    from nr_cli.lazy import LazyEntrypoint, LazyModule, LazyTarget, lazy_imports
    from nr_cli.registry import ENTRY_POINT_GROUP, FactoryEntry
    from nr_cli.workspace import load_workspace_files

_LAZY = {
    "create_cli": "nr_cli.app",
    "help": "nr_cli.helptext",
    "LazyEntrypoint": "nr_cli.lazy",
    "LazyModule": "nr_cli.lazy",
    "LazyTarget": "nr_cli.lazy",
    "lazy_imports": "nr_cli.lazy",
    "main": "nr_cli.command",
    "parse_cli_args": "nr_cli.command",
    "parse_config": "nr_cli.command",
    "parse_partial": "nr_cli.command",
    "RunContext": "nr_cli.context",
    "Entrypoint": "nr_cli.entrypoints",
    "entrypoint": "nr_cli.entrypoints",
    "list_entrypoints": "nr_cli.entrypoints",
    "factory": "nr_cli.factories",
    "list_factories": "nr_cli.factories",
    "resolve_factory": "nr_cli.factories",
    "ENTRY_POINT_GROUP": "nr_cli.registry",
    "FactoryEntry": "nr_cli.registry",
    "load_workspace_files": "nr_cli.workspace",
}

__all__ = [
    "ENTRY_POINT_GROUP",
    "AmbiguousFactoryError",
    "CLIError",
    "ConfigFileError",
    "Entrypoint",
    "FactoryEntry",
    "FactoryNotFoundError",
    "GrammarError",
    "LazyEntrypoint",
    "LazyModule",
    "LazyTarget",
    "OperationError",
    "RunContext",
    "UnknownArgumentError",
    "UnknownOptionError",
    "ValueParseError",
    "__version__",
    "create_cli",
    "entrypoint",
    "factory",
    "help",
    "lazy_imports",
    "list_entrypoints",
    "list_factories",
    "load_workspace_files",
    "main",
    "parse_cli_args",
    "parse_config",
    "parse_partial",
    "resolve_factory",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nr_cli' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
