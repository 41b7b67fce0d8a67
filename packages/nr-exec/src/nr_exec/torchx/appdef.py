"""Conversions between :class:`~nr_exec.JobSpec` and TorchX ``AppDef``.

A spec becomes an ``AppDef`` with one role (``entrypoint = argv[0]``, ``args = argv[1:]``,
``num_replicas = nodes * ntasks_per_node``). Each role of an ``AppDef`` becomes one spec,
with ``ntasks_per_node = num_replicas`` on one node; several roles form a group (one
``dryrun`` of the list). The role's command runs inside the exit-marker wrapper, unless the
executor's backend writes exit markers itself. Given an executor, the specs are placed and
configured as that executor's own specs are (its :meth:`~nr_exec.Executor.placement`,
:meth:`~nr_exec.Executor.settings` and environment).
"""

import dataclasses
from collections.abc import Mapping

from nr_exec.executor import Executor
from nr_exec.extras import require_extra
from nr_exec.jobs import new_job_id
from nr_exec.paths import nemorun_home
from nr_exec.spec import JobSpec, Mount, Resources
from nr_exec.wrapper import wrap_command

require_extra("torchx", "torchx", feature="the TorchX adapter")

from torchx import specs  # type: ignore[import-untyped]  # noqa: E402 - after the extra check

__all__ = ["appdef_to_specs", "spec_to_appdef"]


def spec_to_appdef(spec: JobSpec) -> specs.AppDef:
    """Return a one-role ``AppDef`` running ``spec``."""
    resources = spec.resources
    role = specs.Role(
        name=spec.name,
        image=spec.image or "",
        entrypoint=spec.argv[0],
        args=list(spec.argv[1:]),
        env=dict(spec.env),
        num_replicas=resources.nodes * resources.ntasks_per_node,
        max_retries=spec.retries,
        resource=specs.Resource(
            cpu=resources.cpus_per_task or 1, gpu=resources.gpus_per_node or 0, memMB=1024
        ),
        mounts=[specs.BindMount(m.source, m.target, m.readonly) for m in spec.mounts],
    )
    metadata = {k: v for k, v in spec.metadata.items() if isinstance(v, str)}
    return specs.AppDef(name=spec.name, roles=[role], metadata=metadata)


def _mounts(role: specs.Role) -> tuple[Mount, ...]:
    return tuple(
        Mount(m.src_path, m.dst_path, m.read_only)
        for m in role.mounts
        if isinstance(m, specs.BindMount)
    )


def _placed(spec: JobSpec, executor: Executor) -> JobSpec:
    placement = executor.placement(spec.job_id, spec.job_dir)
    return dataclasses.replace(
        spec,
        job_dir=placement.job_dir,
        workdir=placement.workdir,
        env={**executor.env_vars, **spec.env},
        image=spec.image or placement.image,
        experiment_id=executor.experiment_id,
        backend_options=executor.settings(spec.job_dir).to_options(),
    )


def appdef_to_specs(
    app: specs.AppDef,
    *,
    job_root: str | None = None,
    env: Mapping[str, str] | None = None,
    executor: Executor | None = None,
) -> list[JobSpec]:
    """Return one job spec per role of ``app`` (a group when there are several).

    Args:
        app: The TorchX application.
        job_root: Directory receiving the job directories on this side (default
            ``$NEMORUN_HOME/jobs``).
        env: Environment added to every role's own.
        executor: Places the jobs and gives their backend settings (default: none; the
            job directories are used as they are and no settings are given).
    """
    root = job_root or str(nemorun_home() / "jobs")
    wrapped = executor is None or not executor.capabilities().exit_markers
    result = []
    for role in app.roles:
        job_id = new_job_id(f"{app.name}-{role.name}")
        command = [role.entrypoint, *role.args]
        gpus = role.resource.gpu if role.resource.gpu > 0 else None
        spec = JobSpec(
            name=role.name,
            job_id=job_id,
            argv=tuple(wrap_command(command) if wrapped else command),
            job_dir=f"{root}/{job_id}",
            env={**(env or {}), **role.env},
            resources=Resources(ntasks_per_node=role.num_replicas, gpus_per_node=gpus),
            mounts=_mounts(role),
            retries=role.max_retries,
            image=role.image or None,
            metadata=dict(app.metadata),
        )
        result.append(spec if executor is None else _placed(spec, executor))
    return result
