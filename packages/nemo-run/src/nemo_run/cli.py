"""``run.cli``: typed command-line entrypoints (re-exported from ``nr_cli``)."""

from nr_cli import (
    CLIError,
    Entrypoint,
    RunContext,
    create_cli,
    entrypoint,
    factory,
    list_entrypoints,
    list_factories,
    main,
    parse_cli_args,
    parse_config,
    parse_partial,
    resolve_factory,
)

__all__ = [
    "CLIError",
    "Entrypoint",
    "RunContext",
    "create_cli",
    "entrypoint",
    "factory",
    "list_entrypoints",
    "list_factories",
    "main",
    "parse_cli_args",
    "parse_config",
    "parse_partial",
    "resolve_factory",
]
