"""The crash-safe experiment store under ``$NEMORUN_HOME`` (files plus a SQLite catalog).

Standard library plus nr-exec's states, paths and durable writer, so it imports quickly. Start
with :class:`Store`; the files are read as :class:`JobRecord` and :class:`ExperimentRecord`.
"""

from nr_exec.paths import nemorun_home

from nr_experiment.store.atomic import read_json, write_json_atomic, write_text_atomic
from nr_experiment.store.catalog import ExperimentSummary, RebuildReport, Skipped
from nr_experiment.store.errors import (
    CatalogError,
    CorruptMetadataError,
    ExperimentNotFoundError,
    IncompleteJobError,
    InvalidNameError,
    JobNotFoundError,
    LockTimeoutError,
    NotAnIdError,
    StoreError,
    StoreWarning,
)
from nr_experiment.store.names import (
    BackendJobName,
    backend_job_name,
    is_experiment_id,
    parse_backend_job_name,
    title_of,
    validate_experiment_id,
    validate_job_name,
    validate_title,
)
from nr_experiment.store.records import Attempt, ExperimentRecord, Intent, JobRecord
from nr_experiment.store.store import ExperimentRef, IntentRequest, Store, SubmittedRequest

__all__ = [
    "Attempt",
    "BackendJobName",
    "CatalogError",
    "CorruptMetadataError",
    "ExperimentNotFoundError",
    "ExperimentRecord",
    "ExperimentRef",
    "ExperimentSummary",
    "IncompleteJobError",
    "Intent",
    "IntentRequest",
    "InvalidNameError",
    "JobNotFoundError",
    "JobRecord",
    "LockTimeoutError",
    "NotAnIdError",
    "RebuildReport",
    "Skipped",
    "Store",
    "StoreError",
    "StoreWarning",
    "SubmittedRequest",
    "backend_job_name",
    "is_experiment_id",
    "nemorun_home",
    "parse_backend_job_name",
    "read_json",
    "title_of",
    "validate_experiment_id",
    "validate_job_name",
    "validate_title",
    "write_json_atomic",
    "write_text_atomic",
]
