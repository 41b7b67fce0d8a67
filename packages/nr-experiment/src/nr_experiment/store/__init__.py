"""The crash-safe experiment store under ``$NEMORUN_HOME`` (files plus a SQLite catalog).

Plain standard library, importable on its own and quickly. Start with :class:`Store`.
"""

from nr_experiment.store.atomic import read_json, write_json_atomic, write_text_atomic
from nr_experiment.store.catalog import ExperimentSummary, RebuildReport, Skipped
from nr_experiment.store.errors import (
    CatalogError,
    CorruptMetadataError,
    ExperimentNotFoundError,
    InvalidNameError,
    JobNotFoundError,
    LockTimeoutError,
    StoreError,
    StoreWarning,
)
from nr_experiment.store.home import nemorun_home
from nr_experiment.store.names import (
    BackendJobName,
    backend_job_name,
    parse_backend_job_name,
    title_of,
    validate_job_name,
    validate_title,
)
from nr_experiment.store.store import EXPERIMENT_KEYS, JOB_KEYS, ExperimentRef, Store

__all__ = [
    "EXPERIMENT_KEYS",
    "JOB_KEYS",
    "BackendJobName",
    "CatalogError",
    "CorruptMetadataError",
    "ExperimentNotFoundError",
    "ExperimentRef",
    "ExperimentSummary",
    "InvalidNameError",
    "JobNotFoundError",
    "LockTimeoutError",
    "RebuildReport",
    "Skipped",
    "Store",
    "StoreError",
    "StoreWarning",
    "backend_job_name",
    "nemorun_home",
    "parse_backend_job_name",
    "read_json",
    "title_of",
    "validate_job_name",
    "validate_title",
    "write_json_atomic",
    "write_text_atomic",
]
