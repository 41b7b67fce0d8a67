"""``nemo_run.core.execution``: the executors and launchers, under NeMo-Run's import path."""

from typing import TYPE_CHECKING

from nemo_run.core._reexport import facade_getattr

if TYPE_CHECKING:
    from nemo_run import (
        DGXCloudExecutor,
        DockerExecutor,
        Executor,
        ExecutorMacros,
        FaultTolerance,
        KubeflowExecutor,
        KubeRayExecutor,
        LeptonExecutor,
        LocalExecutor,
        SkypilotExecutor,
        SkypilotJobsExecutor,
        SlurmExecutor,
        SlurmRay,
        SlurmTemplate,
        Torchrun,
        import_executor,
    )

__all__ = [
    "DGXCloudExecutor",
    "DockerExecutor",
    "Executor",
    "ExecutorMacros",
    "FaultTolerance",
    "KubeRayExecutor",
    "KubeflowExecutor",
    "LeptonExecutor",
    "LocalExecutor",
    "SkypilotExecutor",
    "SkypilotJobsExecutor",
    "SlurmExecutor",
    "SlurmRay",
    "SlurmTemplate",
    "Torchrun",
    "import_executor",
]

__getattr__ = facade_getattr(__name__, __all__)
