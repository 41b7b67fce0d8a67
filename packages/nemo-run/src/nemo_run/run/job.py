"""``nemo_run.run.job``: NeMo-Run's module path of :class:`Job` and :class:`JobGroup`."""

from nr_experiment import Job, JobGroup

__all__ = ["Job", "JobGroup"]
