"""The façade of the monorepo: ``import nemo_run as run`` exposes the documented API.

Names are resolved lazily (PEP 562): ``import nemo_run`` loads nothing but this module, and
``run.Config`` imports ``nr_config`` on first use. No backend SDK is ever imported here.

Documented executors whose backend has not landed (``run.SkypilotExecutor``, ...) resolve to
placeholders that say so (see :mod:`nemo_run.pending`). NeMo-Run's import paths
``nemo_run.core.execution``, ``nemo_run.core.packaging``, ``nemo_run.core.tunnel`` and
``nemo_run.run.ray`` are kept as thin re-exports, and ``run.config`` holds NeMo-Run's home-directory
helpers (``run.config.set_nemorun_home``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from nemo_run.__about__ import __version__

#: The distribution's import name, as NeMo-Run exposes it.
__package_name__ = "nemo_run"
from nemo_run.errors import NemoRunError, NotAvailableYetError
from nemo_run.pending import PENDING, resolve_pending

if TYPE_CHECKING:
    from nr_cli import LazyEntrypoint, help, lazy_imports
    from nr_config import (
        Config,
        ConfigurableMixin,
        Partial,
        Script,
        autoconvert,
        broadcast,
        build,
        diff,
        dump,
        dumps_json,
        dumps_toml,
        dumps_yaml,
        format_diff,
        from_dict,
        load,
        loads_json,
        loads_toml,
        loads_yaml,
        to_code,
        to_dict,
        walk,
    )
    from nr_exec import (
        DevSpace,
        DockerExecutor,
        Executor,
        ExecutorMacros,
        FaultTolerance,
        LocalExecutor,
        SlurmExecutor,
        SlurmRay,
        SlurmTemplate,
        Torchrun,
        import_executor,
    )
    from nr_experiment import Experiment, Plugin, dryrun_fn, run
    from nr_package import GitArchivePackager, HybridPackager, Packager, PatternPackager
    from nr_tunnel import LocalTunnel, SSHTunnel

    from nemo_run import cli

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "Config": "nr_config",
    "ConfigurableMixin": "nr_config",
    "Partial": "nr_config",
    "Script": "nr_config",
    "autoconvert": "nr_config",
    "build": "nr_config",
    "broadcast": "nr_config",
    "diff": "nr_config",
    "dump": "nr_config",
    "dumps_json": "nr_config",
    "dumps_toml": "nr_config",
    "dumps_yaml": "nr_config",
    "format_diff": "nr_config",
    "from_dict": "nr_config",
    "load": "nr_config",
    "loads_json": "nr_config",
    "loads_toml": "nr_config",
    "loads_yaml": "nr_config",
    "to_code": "nr_config",
    "to_dict": "nr_config",
    "walk": "nr_config",
    "Executor": "nr_exec",
    "LocalExecutor": "nr_exec",
    "DockerExecutor": "nr_exec",
    "Torchrun": "nr_exec",
    "FaultTolerance": "nr_exec",
    "SlurmExecutor": "nr_exec",
    "SlurmTemplate": "nr_exec",
    "SlurmRay": "nr_exec",
    "ExecutorMacros": "nr_exec",
    "DevSpace": "nr_exec",
    "import_executor": "nr_exec",
    "Packager": "nr_package",
    "GitArchivePackager": "nr_package",
    "PatternPackager": "nr_package",
    "HybridPackager": "nr_package",
    "SSHTunnel": "nr_tunnel",
    "LocalTunnel": "nr_tunnel",
    "Experiment": "nr_experiment",
    "Plugin": "nr_experiment",
    "dryrun_fn": "nr_experiment",
    "LazyEntrypoint": "nr_cli",
    "help": "nr_cli",
    "lazy_imports": "nr_cli",
}

# submodules of the façade, imported on first attribute access
_SUBMODULES = frozenset({"cli", "config", "core"})

__all__ = [
    "Config",
    "ConfigurableMixin",
    "DGXCloudExecutor",
    "DevSpace",
    "DockerExecutor",
    "Executor",
    "ExecutorMacros",
    "Experiment",
    "FaultTolerance",
    "GitArchivePackager",
    "HybridPackager",
    "KubeRayExecutor",
    "KubeflowExecutor",
    "LazyEntrypoint",
    "LeptonExecutor",
    "LocalExecutor",
    "LocalTunnel",
    "NemoRunError",
    "NotAvailableYetError",
    "Packager",
    "Partial",
    "PatternPackager",
    "Plugin",
    "SSHTunnel",
    "Script",
    "SkypilotExecutor",
    "SkypilotJobsExecutor",
    "SlurmExecutor",
    "SlurmRay",
    "SlurmTemplate",
    "Torchrun",
    "__package_name__",
    "__version__",
    "autoconvert",
    "broadcast",
    "build",
    "cli",
    "diff",
    "dryrun_fn",
    "dump",
    "dumps_json",
    "dumps_toml",
    "dumps_yaml",
    "format_diff",
    "from_dict",
    "help",
    "import_executor",
    "lazy_imports",
    "load",
    "loads_json",
    "loads_toml",
    "loads_yaml",
    "run",
    "to_code",
    "to_dict",
    "walk",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"nemo_run.{name}")
    if name in PENDING:
        return resolve_pending(name)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nemo_run' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _run() -> Any:
    return importlib.import_module("nr_experiment").run


class _Facade(types.ModuleType):
    """The façade's module type: ``run.run`` is always the ``run`` function.

    ``nemo_run.run`` is also a subpackage (NeMo-Run's ``from nemo_run.run.ray import RayCluster``);
    importing it makes the import system set the attribute ``run`` of this module to the
    subpackage, which would hide the function. The property keeps the function.
    """

    @property
    def run(self) -> Any:
        """``nr_experiment.run``: run one task (see :func:`nr_experiment.run`)."""
        return _run()

    @run.setter
    def run(self, value: Any) -> None:
        if not isinstance(value, types.ModuleType):  # the import system binds the subpackage
            raise AttributeError("nemo_run.run is the run function and cannot be replaced")


sys.modules[__name__].__class__ = _Facade
