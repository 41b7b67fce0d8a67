"""``SlurmTemplate``: render the job's command into a user-supplied Jinja2 script template."""

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from nr_config import Script

from nr_exec.errors import ExecutorConfigError
from nr_exec.launchers.base import Launcher

__all__ = ["SlurmTemplate"]


@dataclass(kw_only=True)
class SlurmTemplate(Launcher):
    """Wrap the job's command in a Jinja2 template (Slurm backend only).

    The template sees ``command`` (the shell-quoted command line) and every entry of
    ``template_vars``; undefined variables are errors. Exactly one of ``template_path`` and
    ``template_inline`` must be given; a relative ``template_path`` is relative to the current
    directory.

    Attributes:
        template_path: File holding the template.
        template_inline: The template's text.
        template_vars: Extra variables for the template.
    """

    name: ClassVar[str] = "slurm_template"

    template_path: str | None = None
    template_inline: str | None = None
    template_vars: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Check that exactly one template source is given.

        Raises:
            ExecutorConfigError: Neither or both of ``template_path`` and ``template_inline``.
        """
        super().validate()
        if (self.template_path is None) == (self.template_inline is None):
            raise ExecutorConfigError(
                "SlurmTemplate.template_path/template_inline",
                "exactly one of the two",
                {"template_path": self.template_path, "template_inline": self.template_inline},
            )

    def template_text(self) -> str:
        """Return the template's source text."""
        if self.template_inline is not None:
            return self.template_inline
        return Path(str(self.template_path)).read_text(encoding="utf-8")

    def transform(self, command: Sequence[str]) -> Script:
        """Render the template around ``command`` and return it as an inline ``Script``."""
        import jinja2  # noqa: PLC0415 - jinja2 is loaded only when a template renders

        environment = jinja2.Environment(  # noqa: S701 - renders shell scripts, not HTML
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True
        )
        template = environment.from_string(self.template_text())
        rendered = template.render(**self.template_vars, command=shlex.join(command))
        return Script(inline=rendered)
