"""`RunContext`: how a command-line invocation wants its task run.

Flags (``--dryrun``, ``--detach``, ...) and ``run.<field>=...`` overrides fill it; experiment
entrypoints receive it as their ``ctx`` argument and call `RunContext.launch`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from nr_exec.executor import Executor
from nr_experiment.plugin import Plugin

__all__ = ["RunContext"]


@dataclasses.dataclass(kw_only=True)
class RunContext:
    """Options of one command-line run.

    Attributes:
        name: Name of the experiment/job (default: the entrypoint's name).
        direct: Run in this process even when an executor is set.
        dryrun: Show what would run, run nothing.
        detach: Return once submitted, leaving the jobs running.
        yes: Do not ask for confirmation.
        tail_logs: Follow the logs of the jobs while waiting.
        verbose: Show tracebacks of errors.
        repl: Open an IPython shell with the task instead of running it.
        executor: Where to run (``run.executor=<factory>``); None runs the function in-process.
        plugins: Plugins applied to the jobs (``run.plugins=<factory>`` or ``[f1, f2]``).
        to_yaml: Export the task to this ``path[:section]`` instead of running it.
        to_toml: Same, as TOML.
        to_json: Same, as JSON.
        dotted_targets: Exports write ``_target_`` as ``pkg.module.Name`` (NeMo-Run's and
            Hydra's form) instead of the unambiguous ``pkg.module:Name``.
        skip_confirmation: NeMo-Run's name for `yes`; either one set sets both.
        factory: The ``--factory`` the task started from (informational).
        yaml: The first ``--yaml`` file merged into the task (informational).
        load: NeMo-Run's ``--load`` (not supported: a value is refused on the command line).
        rich_exceptions: Accepted for NeMo-Run code; errors are always one plain line.
        rich_traceback: Accepted for NeMo-Run code; no effect.
        rich_locals: Accepted for NeMo-Run code; no effect.
        rich_theme: Accepted for NeMo-Run code; no effect.
    """

    name: str = ""
    direct: bool = False
    dryrun: bool = False
    detach: bool = False
    yes: bool = False
    tail_logs: bool = False
    verbose: bool = False
    repl: bool = False
    executor: Executor | None = None
    plugins: list[Plugin] = dataclasses.field(default_factory=list)
    to_yaml: str | None = None
    to_toml: str | None = None
    to_json: str | None = None
    dotted_targets: bool = False
    skip_confirmation: bool = False
    factory: str | None = None
    yaml: str | None = None
    load: str | None = None
    rich_exceptions: bool = False
    rich_traceback: bool = True
    rich_locals: bool = True
    rich_theme: str | None = None

    def __post_init__(self) -> None:
        self.yes = self.skip_confirmation = self.yes or self.skip_confirmation

    def exports(self) -> list[str]:
        """Return the export targets that are set, in the order YAML, TOML, JSON."""
        return [target for target in (self.to_yaml, self.to_toml, self.to_json) if target]

    def launch(self, experiment: Any, *, sequential: bool = False) -> Any:
        """Dry-run or run an experiment the way this context asks.

        Args:
            experiment: An ``Experiment`` (used as a context manager by the caller).
            sequential: Run the jobs one after another.

        Returns:
            What ``experiment.dryrun()`` or ``experiment.run(...)`` returns.
        """
        if self.dryrun:
            return experiment.dryrun()
        return experiment.run(
            sequential=sequential,
            detach=self.detach,
            direct=self.direct or self.executor is None,
            tail_logs=self.tail_logs,
        )
