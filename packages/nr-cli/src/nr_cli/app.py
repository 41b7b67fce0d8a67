"""The ``nemorun`` console application (alias ``nemo``).

This module builds the Typer application lazily inside :func:`main`, so that importing ``nr_cli``
stays cheap; the command groups are added by the CLI layer.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the ``nemorun`` application.

    Args:
        argv: Arguments without the program name; ``None`` reads ``sys.argv``.
    """
    import typer  # noqa: PLC0415 - keep `import nr_cli` free of the CLI framework
    from rich.console import Console  # noqa: PLC0415

    from nr_cli.__about__ import __version__  # noqa: PLC0415

    app = typer.Typer(
        name="nemorun",
        help="Configure a Python function or script once, run it anywhere, manage what ran.",
        no_args_is_help=True,
        add_completion=False,
    )

    @app.callback()
    def root() -> None:
        """Configure a Python function or script once, run it anywhere, manage what ran."""

    @app.command()
    def version() -> None:
        """Print the version of the command-line layer."""
        Console().print(f"nemorun {__version__}")

    app(args=argv, prog_name="nemorun")
