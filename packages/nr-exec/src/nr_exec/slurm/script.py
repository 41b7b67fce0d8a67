"""The sbatch script of a job, a group of jobs or a heterogeneous job, and its request.

Every value is quoted here (see :mod:`nr_exec.slurm.quoting`) before it reaches
:func:`~nr_exec.slurm.layout.render`, which only lays the script's lines out.
"""

import json
import re
from collections.abc import Iterable, Mapping, Sequence

from nr_exec.jobs import safe_name
from nr_exec.slurm.layout import render
from nr_exec.slurm.quoting import command_line, export_lines, needs_shell, quote, sbatch_value
from nr_exec.slurm.request import SlurmRequest
from nr_exec.slurm.settings import SlurmContainer, SlurmSettings
from nr_exec.spec import JobSpec, StagedFile

__all__ = [
    "LOG_INFO_FILE",
    "SCRIPT_FILE",
    "build_request",
    "job_name",
    "sbatch_block",
    "step_command",
    "uses_head_node",
]

#: Name of the script in the job (or array) directory.
SCRIPT_FILE = "sbatch.sh"
#: Per-job file recording the log paths (with Slurm's ``%j``/``%A``/``%a`` patterns).
LOG_INFO_FILE = "slurm.json"

# A reference to the head node's address, which the script then computes.
_HEAD_NODE_REF = re.compile(r"\$\{?head_node_ip\b")


def job_name(spec: JobSpec, settings: SlurmSettings) -> str:
    """Slurm job name: ``<prefix><experiment id>.<job id>`` (path-safe characters only).

    It ends with the spec's job id, which is how :meth:`SlurmBackend.find` finds the job.
    """
    parts = [spec.experiment_id, spec.job_id] if spec.experiment_id else [spec.job_id]
    return safe_name((settings.job_name_prefix or "") + ".".join(parts))


def _option(name: str, value: str | bool) -> str | None:
    if value is True:
        return f"--{name}"
    if value is False:
        return None
    return f"--{name}={sbatch_value(name, value)}"


def sbatch_block(
    spec: JobSpec,
    settings: SlurmSettings,
    *,
    name: str,
    extra: Mapping[str, str | bool] | None = None,
) -> list[str]:
    """The ``#SBATCH`` options of one job (or one heterogeneous component), sorted by name.

    Resources come from the spec (a launcher may have changed them), the other options from
    the settings; ``additional_parameters`` override both, ``extra`` (log paths, array,
    requeue) is added by the caller.

    Raises:
        ValueError: A value cannot be written on an ``#SBATCH`` line.
    """
    res = spec.resources
    options: dict[str, str | bool] = {"job-name": name, "nodes": str(res.nodes)}
    if settings.ntasks is not None:
        options["ntasks"] = str(settings.ntasks)
    else:
        options["ntasks-per-node"] = str(res.ntasks_per_node)
    for key, value in (
        ("gpus-per-node", res.gpus_per_node),
        ("cpus-per-task", res.cpus_per_task),
        ("mem", res.mem),
        ("time", res.time),
    ):
        if value is not None:
            options[key] = str(value)
    options.update(extra or {})
    options.update(settings.options())
    return [line for key in sorted(options) if (line := _option(key, options[key]))]


def _container_flags(container: SlurmContainer, workdir: str, root: str) -> list[str]:
    mounts = [*container.mounts, f"{root}:{root}"]
    flags = [
        f"--container-image={quote(container.image)}",
        f"--container-mounts={quote(','.join(mounts))}",
        f"--container-workdir={workdir}",
    ]
    if container.env:
        flags.append(f"--container-env={quote(','.join(container.env))}")
    return flags


def step_command(
    settings: SlurmSettings,
    *,
    argv: Sequence[str] | None,
    env: Mapping[str, str],
    workdir: str,
    root: str,
    het_group: int | None = None,
    shares_allocation: tuple[int, int] | None = None,
) -> str:
    """The ``srun`` line of one step.

    Args:
        settings: Settings of the step (container, ``srun_args``).
        argv: The command; None runs the already-quoted line in ``$nr_line`` (arrays).
        env: Variables exported for this step only.
        workdir: Working directory, already a shell word.
        root: Remote root of job directories (mounted into containers at the same path).
        het_group: Heterogeneous component the step runs in.
        shares_allocation: ``(nodes, tasks per node)`` of a step sharing the allocation
            with other steps of a group (run with ``--overlap``).
    """
    flags = ["srun"]
    if het_group is not None:
        flags.append(f"--het-group={het_group}")
    if shares_allocation is not None:
        nodes, tasks = shares_allocation
        flags += ["--overlap", f"--nodes={nodes}", f"--ntasks-per-node={tasks}"]
    flags.append("--kill-on-bad-exit=1")
    if settings.container is not None:
        flags += _container_flags(settings.container, workdir, root)
    else:
        flags.append(f"--chdir={workdir}")
    flags += [quote(arg) for arg in settings.srun_args]
    if argv is None:
        return " ".join([*flags, "/bin/bash", "-c", '"$nr_line"'])
    if env or needs_shell(argv):
        line = " && ".join([*export_lines(env), f"exec {command_line(argv)}"])
        return " ".join([*flags, "/bin/bash", "-c", quote(line)])
    return " ".join([*flags, command_line(argv)])


def uses_head_node(spec: JobSpec) -> bool:
    """Whether the job's command, environment or files (a templated script) use the head node."""
    texts = [*spec.argv, *spec.env.values(), *(item.content for item in spec.files)]
    return any(_HEAD_NODE_REF.search(text) for text in texts)


def common_env(specs: Iterable[JobSpec]) -> dict[str, str]:
    """Variables with the same value in every spec (exported once for the whole script)."""
    specs = list(specs)
    first = dict(specs[0].env)
    return {k: v for k, v in first.items() if all(s.env.get(k) == v for s in specs[1:])}


def log_info(stdout: str, stderr: str) -> str:
    """Content of a job's :data:`LOG_INFO_FILE`."""
    return json.dumps({"stdout": stdout, "stderr": stderr}, sort_keys=True) + "\n"


def slurm_job_ids(references: Iterable[str]) -> tuple[str, ...]:
    """Slurm job ids of dependencies given as handles (``slurm://host/123``) or ids."""
    ids: list[str] = []
    for reference in references:
        job_id = reference.rsplit("/", 1)[-1] if "://" in reference else reference
        if not job_id.replace("_", "").isdigit():
            raise ValueError(f"not a Slurm job handle or id: {reference!r}")
        if job_id not in ids:
            ids.append(job_id)
    return tuple(ids)


def base_extra(
    settings: SlurmSettings, stdout: str, stderr: str, retries: int
) -> dict[str, str | bool]:
    """Job-level options of the first ``#SBATCH`` block: logs, requeue policy, dependencies."""
    extra: dict[str, str | bool] = {"output": stdout, "kill-on-invalid-dep": "yes"}
    if not settings.stderr_to_stdout:
        extra["error"] = stderr
    extra["requeue" if retries else "no-requeue"] = True
    return extra


def extra_options(settings: Iterable[SlurmSettings]) -> tuple[str, ...]:
    """The ``additional_parameters`` option names of several settings, each once."""
    return tuple(dict.fromkeys(name for s in settings for name in s.additional_parameters))


def _het_indices(group: Sequence[JobSpec], settings: SlurmSettings) -> list[int]:
    indices = list(settings.het_group_indices or range(len(group)))
    if len(indices) != len(group) or sorted(set(indices)) != list(range(max(indices) + 1)):
        raise ValueError(
            f"SlurmExecutor.het_group_indices: expected {len(group)} indices covering 0..k-1, "
            f"got {indices}"
        )
    return indices


def build_request(
    group: Sequence[JobSpec],
    settings: Sequence[SlurmSettings],
    *,
    root: str,
    backend: str,
    detach: bool,
) -> SlurmRequest:
    """Make the request of one job, a group sharing one allocation, or a heterogeneous job.

    Args:
        group: The specs (the first names the job: its directory, logs and exit marker).
        settings: The Slurm settings of each spec.
        root: Remote root of job directories.
        backend: Backend name recorded in the request.
        detach: Whether the job outlives the launching process (always true on Slurm).

    Raises:
        ValueError: Inconsistent heterogeneous components or an unwritable value.
    """
    head, first = group[0], settings[0]
    name = job_name(head, first)
    array = first.array is not None
    stdout, stderr = first.log_files(safe_name(head.name), head.job_dir, array=array)
    extra = base_extra(first, stdout, stderr, head.retries)
    if first.array is not None:
        extra["array"] = first.array
    het = first.heterogeneous and len(group) > 1
    common = common_env(group)
    steps: list[str] = []
    blocks: list[list[str]] = []
    indices = _het_indices(group, first) if het else []
    for position, (spec, spec_settings) in enumerate(zip(group, settings, strict=True)):
        het_group = indices[position] if het else None
        if het_group is not None and het_group == len(blocks):
            block_extra = extra if het_group == 0 else {}
            blocks.append(
                sbatch_block(spec, spec_settings, name=f"{name}-{het_group}", extra=block_extra)
            )
        env = {k: v for k, v in spec.env.items() if common.get(k) != v}
        shared = None
        if len(group) > 1 and not het:
            shared = (spec.resources.nodes, spec.resources.ntasks_per_node)
        steps.append(
            step_command(
                spec_settings,
                argv=spec.argv,
                env=env,
                workdir=quote(spec.workdir or spec.job_dir),
                root=root,
                het_group=het_group,
                shares_allocation=shared,
            )
        )
    if not het:
        blocks = [sbatch_block(head, first, name=name, extra=extra)]
    script_path = f"{head.job_dir}/{SCRIPT_FILE}"
    script = render(
        title=f"job {name}" if len(group) == 1 else f"a group of {len(group)} jobs ({name})",
        script_path=script_path,
        blocks=blocks,
        job_dir_setup=f"nr_job_dir={quote(head.job_dir)}",
        head_node=any(uses_head_node(spec) for spec in group),
        het_groups=sorted(set(indices)),
        exports=export_lines(common),
        setup_lines=first.setup_lines or "",
        steps=steps,
        wait_time=first.wait_time_for_group_job,
        monitor=first.monitor_group_job,
        monitor_grace=first.monitor_group_job_wait_time,
        retries=head.retries,
    )
    files = [item.staged(spec.job_dir) for spec in group for item in spec.files]
    files.append(StagedFile(script_path, script))
    files.append(StagedFile(f"{head.job_dir}/{LOG_INFO_FILE}", log_info(stdout, stderr)))
    references = [*(d for spec in group for d in spec.dependencies), *first.dependencies]
    return SlurmRequest(
        backend=backend,
        specs=tuple(group),
        detach=detach,
        script=script,
        script_path=script_path,
        stdout=stdout,
        index_dir=head.job_dir,
        files=tuple(files),
        code=tuple(
            (spec_settings.packager, spec.job_dir)
            for spec, spec_settings in zip(group, settings, strict=True)
            if spec_settings.ships_code
        ),
        dependencies=slurm_job_ids(references),
        dependency_type=first.dependency_type,
        retries=head.retries,
        extra_options=extra_options(settings),
    )
