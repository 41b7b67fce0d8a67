"""`Script`: a task that runs a script file, a Python module or an inline shell snippet."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from nr_config.configurable import ConfigurableMixin
from nr_config.errors import ScriptError

__all__ = ["Script"]

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")
SHEBANG = "#!/usr/bin/env bash\n"
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})


@dataclasses.dataclass
class Script(ConfigurableMixin):
    """A script task: exactly one of `path` (a file, or a module with ``m=True``) or `inline`.

    ``to_config()`` (from `ConfigurableMixin`) returns ``Config(Script, **fields)``.

    Attributes:
        path: Script file to run, or module name when `m` is true.
        inline: Shell (or, with a Python entrypoint, Python) source to run.
        args: Arguments passed to the script.
        env: Environment variables set for this script only.
        entrypoint: Program that runs the script (``bash``, ``python`` ...).
        m: Run `path` as a module (``python -m path``); needs a Python entrypoint.
        metadata: Free-form data for the execution layer (e.g. ``use_with_ray_cluster``).

    Raises:
        ScriptError: Neither or both of `path` and `inline` are set, the entrypoint is empty,
            `m` is used without a Python entrypoint or with `inline`, or a field has a wrong type.
    """

    path: str = ""
    inline: str = ""
    args: list[str] = dataclasses.field(default_factory=list)
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    entrypoint: str = "bash"
    m: bool = False
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("path", "inline", "entrypoint"):
            if not isinstance(getattr(self, name), str):
                raise ScriptError(f"Script.{name} must be a string, got {getattr(self, name)!r}")
        if not isinstance(self.args, list) or not all(isinstance(a, str) for a in self.args):
            raise ScriptError(f"Script.args must be a list of strings, got {self.args!r}")
        if not isinstance(self.env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.env.items()
        ):
            raise ScriptError(f"Script.env must map strings to strings, got {self.env!r}")
        if not isinstance(self.metadata, dict):
            raise ScriptError(f"Script.metadata must be a dict, got {self.metadata!r}")
        if not isinstance(self.m, bool):
            raise ScriptError(f"Script.m must be a bool, got {self.m!r}")
        if bool(self.path) == bool(self.inline):
            raise ScriptError("a Script needs exactly one of 'path' and 'inline'")
        if not self.entrypoint.strip():
            raise ScriptError("Script.entrypoint must not be empty")
        if self.m and (self.inline or "python" not in self.entrypoint):
            raise ScriptError(
                "Script.m=True runs 'path' as a Python module: it needs a Python entrypoint "
                f"(got {self.entrypoint!r}) and a 'path', not 'inline'"
            )

    def get_name(self) -> str:
        """Return a short name for the script.

        For `inline`, the first 10 characters of the stripped content, with each run of
        non-alphanumeric characters replaced by ``_``; for `path`, its base name.
        """
        if self.inline:
            return _NON_ALNUM.sub("_", self.inline.strip()[:10])
        return Path(self.path).name

    def content(self, *, substitute_rundir_path: str | None = None) -> str:
        """Return the file content of an inline script (a bash shebang line, then `inline`).

        Args:
            substitute_rundir_path: Replace every ``/nemo_run`` in the content by this path (for
                jobs that do not run in a container where the run directory is mounted there).

        Raises:
            ScriptError: The script is not inline.
        """
        if not self.inline:
            raise ScriptError("only an inline Script has file content; this one has a path")
        body = self.inline
        if substitute_rundir_path is not None:
            body = body.replace("/nemo_run", substitute_rundir_path)
        if self.entrypoint.split()[0].endswith("bash"):
            return SHEBANG + body
        return body

    def write(self, filename: str | Path, *, substitute_rundir_path: str | None = None) -> Path:
        """Write an inline script to `filename` (parents created, made executable).

        Returns:
            The written path.
        """
        path = Path(filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.content(substitute_rundir_path=substitute_rundir_path))
        path.chmod(0o755)
        return path

    def argv(
        self, *, with_entrypoint: bool = False, filename: str | Path | None = None
    ) -> list[str]:
        """Return the argv that runs the script (no shell quoting: each item is one argument).

        Args:
            with_entrypoint: Put the entrypoint's words first (e.g. ``["python", ...]``).
            filename: Where the exec layer wrote the inline script (see `write`); without it an
                inline script runs as ``<entrypoint> -c <inline>`` (for a shell, the script's
                name follows as ``$0`` when there are arguments, so they become ``$1``...).

        Returns:
            The argument vector.
        """
        if self.inline and filename is not None:
            body = [str(filename)]
        elif self.inline:
            body = ["-c", self.inline]
            if self.args and Path(self.entrypoint.split()[0]).name in _SHELLS:
                body.append(self.get_name())  # a shell takes the word after -c as $0
        elif self.m:
            body = ["-m", self.path]
        else:
            body = [self.path]
        prefix = self.entrypoint.split() if with_entrypoint else []
        return [*prefix, *body, *self.args]

    def to_command(
        self,
        with_entrypoint: bool = False,
        filename: str | Path | None = None,
        is_local: bool = False,
        substitute_rundir_path: str | None = None,
    ) -> list[str]:
        """Return NeMo-Run's command words: pieces of a shell command line, joined by spaces.

        NeMo-Run's form, for custom executors written against it; prefer :meth:`argv` (exact
        arguments, no quoting) in new code.

        Args:
            with_entrypoint: Put the entrypoint's words first.
            filename: For an inline script: write it there (see `write`) and run that file.
            is_local: With `filename`: the job sees the file at `filename` (otherwise at
                ``/nemo_run/scripts/<file name>``, inside the job's container).
            substitute_rundir_path: With `filename`: replace ``/nemo_run`` in the written content.

        Returns:
            For an inline script without `filename`: ``["-c", '"<inline>"']`` (inner ``"`` escaped);
            with `filename`: the script's path as the job sees it; for a path:
            ``[path, *args]`` (``["-m", path, *args]`` with ``m=True``).
        """
        if self.inline and filename is not None:
            written = self.write(filename, substitute_rundir_path=substitute_rundir_path)
            body = [str(written) if is_local else f"/nemo_run/scripts/{written.name}"]
        elif self.inline:
            body = ["-c", '"' + self.inline.replace('"', '\\"') + '"']
        elif self.m:
            body = ["-m", self.path, *self.args]
        else:
            body = [self.path, *self.args]
        prefix = self.entrypoint.split() if with_entrypoint else []
        return [*prefix, *body]
