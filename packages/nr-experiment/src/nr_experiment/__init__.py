"""Experiments: jobs, dependency DAG, the crash-safe experiment store, plugins and run().

``import nr_experiment`` is cheap: the names below are loaded on first access.
"""

import importlib
from typing import TYPE_CHECKING

from nr_experiment.__about__ import __version__
from nr_experiment.errors import (
    DependencyError,
    ExperimentError,
    ExperimentStateError,
    JobFailedError,
    SubmitError,
    UnknownJobError,
)

if TYPE_CHECKING:
    from nr_experiment.api import JobResult, RunResult, rebuild_catalog, run
    from nr_experiment.experiment import Experiment
    from nr_experiment.ids import IDS_FILE_ENV
    from nr_experiment.job import Job, JobGroup
    from nr_experiment.plugin import Plugin
    from nr_experiment.preview import dryrun_fn
    from nr_experiment.store import (
        CorruptMetadataError,
        ExperimentNotFoundError,
        Store,
        StoreError,
        nemorun_home,
    )

_LAZY = {
    "JobResult": "nr_experiment.api",
    "RunResult": "nr_experiment.api",
    "rebuild_catalog": "nr_experiment.api",
    "run": "nr_experiment.api",
    "Experiment": "nr_experiment.experiment",
    "IDS_FILE_ENV": "nr_experiment.ids",
    "Job": "nr_experiment.job",
    "JobGroup": "nr_experiment.job",
    "Plugin": "nr_experiment.plugin",
    "dryrun_fn": "nr_experiment.preview",
    "CorruptMetadataError": "nr_experiment.store",
    "ExperimentNotFoundError": "nr_experiment.store",
    "Store": "nr_experiment.store",
    "StoreError": "nr_experiment.store",
    "nemorun_home": "nr_experiment.store",
}

__all__ = [
    "IDS_FILE_ENV",
    "CorruptMetadataError",
    "DependencyError",
    "Experiment",
    "ExperimentError",
    "ExperimentNotFoundError",
    "ExperimentStateError",
    "Job",
    "JobFailedError",
    "JobGroup",
    "JobResult",
    "Plugin",
    "RunResult",
    "Store",
    "StoreError",
    "SubmitError",
    "UnknownJobError",
    "__version__",
    "dryrun_fn",
    "nemorun_home",
    "rebuild_catalog",
    "run",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nr_experiment' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
