"""Experiments: jobs, dependency DAG, the crash-safe experiment store, plugins and run()."""

from nr_experiment.__about__ import __version__
from nr_experiment.errors import ExperimentError

__all__ = ["ExperimentError", "__version__"]
