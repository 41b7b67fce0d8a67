"""Plugins: hooks that adjust a job's task and executor when it is added to an experiment."""

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Plugin"]


@dataclass(kw_only=True)
class Plugin:
    """Base class of experiment plugins.

    Subclass it and override :meth:`setup`. ``Experiment.add`` calls ``setup`` once per task,
    after the executor and the task were copied for the job, and before anything is saved, so
    a plugin may change the job's own task and executor (env vars, arguments, launcher)
    without touching the objects passed to ``add``. For a group of tasks, ``setup`` runs for
    every task of the group (with that task's executor). Plugins are saved with the job.

    Attributes:
        experiment_id: The id of the experiment the plugin was applied in (set by
            :meth:`assign`).
    """

    experiment_id: str = field(default="", init=False)

    def assign(self, experiment_id: str) -> None:
        """Record the experiment the plugin is applied in.

        Args:
            experiment_id: The experiment's id.
        """
        self.experiment_id = experiment_id

    def setup(self, task: Any, executor: Any) -> None:
        """Adjust one task and its executor; the default does nothing.

        Args:
            task: The job's copy of the task (a ``Partial`` or a ``Script``).
            executor: The job's copy of the executor.
        """
