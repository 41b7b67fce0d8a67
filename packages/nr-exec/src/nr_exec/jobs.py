"""From a task and an executor to a :class:`~nr_exec.JobSpec`."""

import copy
import dataclasses
import re
import secrets
import time
from typing import Any

import nr_config
from nr_config import Partial, Script

from nr_exec.backend import Capabilities
from nr_exec.errors import ExecError, LauncherError
from nr_exec.executor import Executor
from nr_exec.launchers import Launcher
from nr_exec.paths import nemorun_home
from nr_exec.spec import JobFile, JobSpec
from nr_exec.wrapper import wrap_command

__all__ = ["RUNNER_MODULE", "make_job_spec", "new_job_id", "safe_name", "task_name"]

#: Module run by ``python -m`` inside the job to build and call a ``Partial``.
RUNNER_MODULE = "nr_exec.runner"

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

_DEBUG_ENV = {
    "CUDA_LAUNCH_BLOCKING": "1",
    "NCCL_DESYNC_DEBUG": "1",
    "TORCH_DISTRIBUTED_DEBUG": "DETAIL",
    "TORCH_SHOW_CPP_STACKTRACES": "1",
}


def safe_name(name: str) -> str:
    """Return ``name`` reduced to ``[A-Za-z0-9_.-]`` (other runs become ``_``), never empty."""
    return _UNSAFE.sub("_", name).strip("._") or "job"


def new_job_id(name: str) -> str:
    """Return a fresh, path-safe job id: ``<name>-<UTC yyyymmddHHMMSS>-<8 hex digits>``."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return f"{safe_name(name)}-{stamp}-{secrets.token_hex(4)}"


def task_name(task: Any) -> str:
    """Default job name of a task: the target's name for a ``Partial``, ``get_name()`` else."""
    if isinstance(task, Script):
        return str(task.get_name())
    return str(getattr(task.__fn_or_cls__, "__name__", "task"))


def _script_command(
    script: Script, safe: str, job_dir: str
) -> tuple[str, list[str], tuple[JobFile, ...]]:
    if script.inline:
        path = f"scripts/{safe}.sh"
        content = (
            script.inline
            if script.inline.startswith("#!")
            else (f"#!/usr/bin/env {script.entrypoint}\n{script.inline}")
        )
        if not content.endswith("\n"):
            content += "\n"
        return (
            script.entrypoint,
            [f"{job_dir}/{path}", *script.args],
            (JobFile(path, content, executable=True),),
        )
    head = ["-m", script.path] if script.m else [script.path]
    return script.entrypoint, [*head, *script.args], ()


def _launcher_prefix(executor: Executor, launcher: Launcher) -> list[str] | None:
    """``executor.get_launcher_prefix()``, without asking again what is known to be None.

    With the base class's hooks, the prefix is the launcher's ``nsys`` arguments: None when
    the (already resolved) launcher does not profile, so the hook need not resolve the
    launcher and the placement once more.
    """
    cls = type(executor)
    base_hooks = (
        cls.get_launcher_prefix is Executor.get_launcher_prefix
        and cls.get_launcher is Executor.get_launcher
    )
    if base_hooks and not launcher.nsys_profile:
        return None
    return executor.get_launcher_prefix()


def make_job_spec(
    task: Any,
    executor: Executor,
    *,
    name: str | None = None,
    job_dir: str | None = None,
    job_id: str | None = None,
) -> JobSpec:
    """Make the job spec of ``task`` on ``executor``.

    A ``Partial`` is saved as ``configs/<name>.task.json`` in the job directory and run with
    ``python -m nr_exec.runner <that file>``, which writes the exit marker. A ``Script`` runs
    ``<entrypoint> <path> <args>`` (an inline script is saved as ``scripts/<name>.sh``) inside
    the exit-marker wrapper; so does any command under a launcher that starts worker processes
    (torchrun, ft), whose workers then write no marker of their own. No wrapper is added when
    the backend declares that it writes the marker itself (``Capabilities.exit_markers``).

    Where the job lives on its target comes from :meth:`Executor.placement`; what its backend
    needs beyond the spec is :meth:`Executor.settings`, carried as ``spec.backend_options``.
    The executor's hooks shape the command: :meth:`Executor.get_launcher_prefix` (after
    :meth:`Executor.get_nsys_entrypoint`) goes before the launched program, and with
    :meth:`Executor.macro_values` every argument and environment value is substituted.

    Args:
        task: A ``Partial`` or a ``Script``.
        executor: Where and how it runs.
        name: Job name (default: derived from the task).
        job_dir: The job's directory on the launching side (default: ``executor.job_dir``,
            else ``$NEMORUN_HOME/jobs/<job-id>``); the placement maps it to the target.
        job_id: Job id (default: a fresh one, see :func:`new_job_id`).

    Raises:
        ExecError: ``task`` is neither a ``Partial`` nor a ``Script``.
        LauncherError: The launcher rewrites jobs into scripts but the backend cannot run them.
    """
    if not isinstance(task, (Partial, Script)):
        raise ExecError(f"a task must be a Partial or a Script, got {type(task).__name__}")
    name = name or task_name(task)
    safe = safe_name(name)
    job_id = job_id or new_job_id(safe)
    local_dir = job_dir or executor.job_dir or str(nemorun_home() / "jobs" / job_id)
    if executor.job_dir != local_dir:  # the executor's views (launcher prefix) see this job
        executor = copy.copy(executor)
        executor.job_dir = local_dir
    return _make(task, executor, name, safe, job_id, local_dir, executor.capabilities())


def _make(  # noqa: PLR0917 - one private step of make_job_spec
    task: Partial[Any] | Script,
    executor: Executor,
    name: str,
    safe: str,
    job_id: str,
    local_dir: str,
    caps: Capabilities,
    *,
    rendered: bool = False,
) -> JobSpec:
    """Make the spec (``rendered``: a template launcher's script, already prefixed)."""
    placement = executor.placement(job_id, local_dir)
    job_dir = placement.job_dir
    launcher = executor.get_launcher()
    env = dict(executor.env_vars)
    metadata: dict[str, Any] = {}
    files: tuple[JobFile, ...]
    if isinstance(task, Partial):
        config = f"configs/{safe}.task.json"
        files = (JobFile(config, nr_config.dumps_json(task)),)
        entrypoint = placement.python
        args = ["-m", RUNNER_MODULE, f"{job_dir}/{config}"]
    else:
        env.update(task.env)
        metadata.update(task.metadata)
        entrypoint, args, files = _script_command(task, safe, job_dir)
    prefix = None if rendered else _launcher_prefix(executor, launcher)
    if prefix is not None:
        words = [word for word in executor.get_nsys_entrypoint() if word]
        context = dataclasses.replace(placement.launch_context, prefix=(*words, *prefix))
        if launcher.nsys_profile:  # the profiles' folder exists before the job starts
            files = (*files, JobFile(f"{launcher.nsys_folder}/.init", ""))
    else:
        context = placement.launch_context
    command = launcher.launch_command(entrypoint, args, context)
    macros = None if rendered else executor.macro_values()
    if macros is not None:
        command = [macros.substitute(arg) for arg in command]
        env = {key: macros.substitute(value) for key, value in env.items()}
    script = launcher.transform(command)
    if script is not None:
        if not caps.launcher_transform:
            raise LauncherError(
                f"{type(executor).__name__}.launcher",
                "a launcher this executor's backend supports (only backends that render "
                "script templates, such as Slurm, accept it)",
                type(launcher).__name__,
            )
        script.env.update(env)
        direct = dataclasses.replace(executor, launcher=None)
        # the rendered template gets its own file: an inline task keeps scripts/<safe>.sh
        templated = _make(
            script, direct, name, f"{safe}_template", job_id, local_dir, caps, rendered=True
        )
        return dataclasses.replace(
            templated, launcher=launcher.name, files=(*files, *templated.files)
        )
    if launcher.spawns_workers:
        env.setdefault("LOGLEVEL", "INFO")
        if getattr(executor.packager, "debug", False):
            env.update(_DEBUG_ENV)
    wrapped = (isinstance(task, Script) or launcher.spawns_workers) and not caps.exit_markers
    resources = executor.resources()
    if launcher.spawns_workers:
        resources = dataclasses.replace(resources, ntasks_per_node=1)
    return JobSpec(
        name=name,
        job_id=job_id,
        experiment_id=executor.experiment_id,
        argv=tuple(wrap_command(command) if wrapped else command),
        env=env,
        workdir=placement.workdir,
        job_dir=job_dir,
        resources=resources,
        retries=executor.retries,
        launcher=None if type(launcher) is Launcher else launcher.name,
        files=files,
        image=placement.image,
        metadata=metadata,
        backend_options=executor.settings(local_dir).to_options(),
    )
