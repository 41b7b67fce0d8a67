"""TorchX adapter: job specs to and from ``AppDef`` s, and backends as TorchX schedulers.

Needs the ``torchx`` extra (``pip install 'nemo-run[torchx]'``); ``import nr_exec`` never
imports TorchX. Every built-in backend is a TorchX scheduler (entry point group
``torchx.schedulers``): ``nr_local``, ``nr_docker`` and ``nr_slurm``, e.g.
``torchx run -s nr_local utils.echo --msg hi``; :func:`scheduler_factory` makes one for any
registered backend. TorchX's own schedulers stay listed; ``torchx log <handle>`` prints a job's
combined output under one role named after the job.
"""

from nr_exec.torchx.appdef import appdef_to_specs, spec_to_appdef
from nr_exec.torchx.scheduler import (
    BackendScheduler,
    create_docker_scheduler,
    create_local_scheduler,
    create_slurm_scheduler,
    scheduler_factory,
)

__all__ = [
    "BackendScheduler",
    "appdef_to_specs",
    "create_docker_scheduler",
    "create_local_scheduler",
    "create_slurm_scheduler",
    "scheduler_factory",
    "spec_to_appdef",
]
