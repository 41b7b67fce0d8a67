"""``nemo_run.run.experiment``: NeMo-Run's module path of :class:`Experiment`."""

from nr_experiment import Experiment

__all__ = ["Experiment"]
