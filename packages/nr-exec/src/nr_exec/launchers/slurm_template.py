"""``SlurmTemplate``: render the job's command into a user-supplied Jinja2 script template."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from nr_config import Script

from nr_exec.errors import ExecutorConfigError
from nr_exec.launchers.base import Launcher
from nr_exec.slurm.quoting import command_line

__all__ = ["SlurmTemplate", "bundled_template"]


def bundled_template(name: str) -> str | None:
    """The text of the template ``name`` shipped with nr-exec (``slurm_ray.sh.j2``), or None."""
    found = resources.files("nr_exec.launchers") / "templates" / name
    return found.read_text(encoding="utf-8") if found.is_file() else None


@dataclass(kw_only=True)
class SlurmTemplate(Launcher):
    """Wrap the job's command in a Jinja2 template (Slurm backend only).

    The template sees ``command`` (the command line, each argument quoted except references
    to the variables the job script defines, such as ``$head_node_ip``) and every entry of
    ``template_vars``; undefined variables are errors. Exactly one of ``template_path`` and
    ``template_inline`` must be given, unless a subclass supplies the text by overriding
    :meth:`get_template_content`. A relative ``template_path`` is looked up in the current
    directory, then among the templates shipped with nr-exec.

    Subclasses customise :meth:`get_template_content` (where the text comes from),
    :meth:`template_variables` (what it sees) or :meth:`render_template`.

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
        """Check that exactly one template source is given (or the subclass supplies the text).

        Raises:
            ExecutorConfigError: Neither or both of ``template_path`` and ``template_inline``.
        """
        super().validate()
        supplies_text = type(self).get_template_content is not SlurmTemplate.get_template_content
        both_or_neither = (self.template_path is None) == (self.template_inline is None)
        if both_or_neither and not (supplies_text and self.template_path is None):
            raise ExecutorConfigError(
                "SlurmTemplate.template_path/template_inline",
                "exactly one of the two",
                {"template_path": self.template_path, "template_inline": self.template_inline},
            )

    def get_template_content(self) -> str:
        """Return the template's source text.

        Raises:
            ExecutorConfigError: ``template_path`` names no file here nor a shipped template.
        """
        if self.template_inline is not None:
            return self.template_inline
        path = Path(str(self.template_path))
        if path.is_file():
            return path.read_text(encoding="utf-8")
        shipped = None if path.is_absolute() else bundled_template(str(path))
        if shipped is None:
            raise ExecutorConfigError(
                f"{type(self).__name__}.template_path",
                "an existing file, or the name of a template shipped with nr-exec "
                "('slurm_ray.sh.j2')",
                self.template_path,
            )
        return shipped

    def template_variables(self) -> dict[str, Any]:
        """The variables the template sees besides ``command`` (``template_vars``)."""
        return dict(self.template_vars)

    def render_template(self, cmd: Sequence[str]) -> str:
        """Render the template around the command ``cmd`` and return the script's text."""
        import jinja2  # noqa: PLC0415 - jinja2 is loaded only when a template renders

        environment = jinja2.Environment(  # noqa: S701 - renders shell scripts, not HTML
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True
        )
        template = environment.from_string(self.get_template_content())
        return template.render(**self.template_variables(), command=command_line(cmd))

    def transform(self, command: Sequence[str]) -> Script:
        """Return the rendered template (:meth:`render_template`) as an inline ``Script``."""
        return Script(inline=self.render_template(command))
