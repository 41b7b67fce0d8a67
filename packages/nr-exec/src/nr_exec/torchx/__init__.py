"""TorchX adapter: job specs to and from ``AppDef`` s, and backends as TorchX schedulers.

Needs the ``torchx`` extra (``pip install 'nr-exec[torchx]'``); ``import nr_exec`` never imports
TorchX. The scheduler ``nr_local`` (entry point group ``torchx.schedulers``) runs TorchX apps on
the local backend: ``torchx run -s nr_local utils.echo --msg hi``.
"""

from nr_exec.torchx.appdef import appdef_to_specs, spec_to_appdef
from nr_exec.torchx.scheduler import BackendScheduler, create_local_scheduler

__all__ = ["BackendScheduler", "appdef_to_specs", "create_local_scheduler", "spec_to_appdef"]
