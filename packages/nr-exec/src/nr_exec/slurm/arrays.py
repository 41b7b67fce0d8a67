"""Many tasks of the same shape as Slurm job arrays.

Tasks that differ only in their command, environment, files and job directory become the
elements of one array job (chunked so that no array exceeds the cluster's ``MaxArraySize``).
Each element finds its job directory, working directory and command line in the array's
manifest, a shell file with one ``case`` branch per ``$SLURM_ARRAY_TASK_ID``.
"""

import json
from collections.abc import Sequence

from nr_exec.jobs import safe_name
from nr_exec.slurm.executor import SlurmExecutor
from nr_exec.slurm.quoting import command_line, export_lines, quote
from nr_exec.slurm.script import (
    LOG_INFO_FILE,
    SCRIPT_FILE,
    SlurmRequest,
    base_extra,
    common_env,
    job_name,
    log_info,
    render,
    sbatch_block,
    slurm_job_ids,
    step_command,
)
from nr_exec.spec import JobSpec, StagedFile

__all__ = ["MANIFEST_FILE", "build_array_requests", "chunk_ranges", "shape_key"]

#: Name of the manifest in the array directory.
MANIFEST_FILE = "manifest.sh"
#: Directory of the array directory holding one link per element to its job directory.
ELEMENTS_DIR = "elements"


def shape_key(spec: JobSpec, options: str) -> str:
    """What must be equal for specs to share an array: resources, settings, retries, ...

    Args:
        spec: A job spec.
        options: The spec's Slurm settings as canonical JSON.
    """
    shape = {
        "resources": spec.to_dict()["resources"],
        "retries": spec.retries,
        "launcher": spec.launcher,
        "image": spec.image,
        "dependencies": list(spec.dependencies),
        "experiment": spec.experiment_id,
        "options": options,
    }
    return json.dumps(shape, sort_keys=True)


def chunk_ranges(count: int, max_array_size: int) -> list[range]:
    """Split ``count`` elements into consecutive chunks of at most ``max_array_size``."""
    size = max(1, max_array_size)
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def _manifest(specs: Sequence[JobSpec], common: dict[str, str]) -> str:
    lines = [
        "# nr-exec array manifest: job directory, working directory and command of each element",
        'case "$SLURM_ARRAY_TASK_ID" in',
    ]
    for index, spec in enumerate(specs):
        env = {k: v for k, v in spec.env.items() if common.get(k) != v}
        line = " && ".join([*export_lines(env), f"exec {command_line(spec.argv)}"])
        lines += [
            f"{index})",
            f"  nr_job_dir={quote(spec.job_dir)}",
            f"  nr_workdir={quote(spec.workdir or spec.job_dir)}",
            f"  nr_line={quote(line)}",
            "  ;;",
        ]
    lines += [
        '*) echo "nr-exec: no array element $SLURM_ARRAY_TASK_ID" >&2; exit 1 ;;',
        "esac",
        "",
    ]
    return "\n".join(lines)


def build_array_requests(
    specs: Sequence[JobSpec],
    executor: SlurmExecutor,
    packager: str,
    *,
    root: str,
    name: str,
    max_array_size: int,
    parallelism: int | None,
    backend: str,
) -> list[SlurmRequest]:
    """Make the array requests running ``specs`` (all of one shape, see :func:`shape_key`).

    Args:
        specs: The tasks, one array element each.
        executor: Their shared Slurm settings.
        packager: Their shared packager, as nr-config JSON.
        root: Remote root of job directories.
        name: Name of the array (its directory is ``<root>/<experiment>/arrays/<name>-<k>``).
        max_array_size: The cluster's ``MaxArraySize``.
        parallelism: Most elements running at once, or None for no limit.
        backend: Backend name recorded in the requests.
    """
    requests = []
    group = specs[0].experiment_id or "jobs"
    for number, chunk in enumerate(chunk_ranges(len(specs), max_array_size)):
        members = [specs[i] for i in chunk]
        head = members[0]
        array_dir = f"{root}/{group}/arrays/{safe_name(name)}-{number}"
        title = job_name(head, executor)
        details = executor.job_details.resolved(safe_name(name), array_dir)
        stdout, stderr = details.stdout(array=True), details.stderr(array=True)
        extra = base_extra(executor, stdout, stderr, head.retries)
        limit = f"%{parallelism}" if parallelism else ""
        extra["array"] = f"0-{len(members) - 1}{limit}"
        common = common_env(members)
        manifest_path = f"{array_dir}/{MANIFEST_FILE}"
        script_path = f"{array_dir}/{SCRIPT_FILE}"
        script = render(
            title=f"an array of {len(members)} jobs ({title})",
            script_path=script_path,
            blocks=[sbatch_block(head, executor, name=f"{safe_name(name)}-{number}", extra=extra)],
            job_dir_setup=f". {quote(manifest_path)}",
            head_node=any("${head_node_ip}" in arg for spec in members for arg in spec.argv),
            het_groups=[],
            exports=export_lines(common),
            setup_lines=executor.setup_lines or "",
            steps=[step_command(executor, argv=None, env={}, workdir='"$nr_workdir"', root=root)],
            wait_time=0,
            monitor=False,
            monitor_grace=0,
            retries=head.retries,
        )
        files = [item.staged(spec.job_dir) for spec in members for item in spec.files]
        files += [
            StagedFile(manifest_path, _manifest(members, common)),
            StagedFile(script_path, script),
            StagedFile(f"{array_dir}/{LOG_INFO_FILE}", log_info(stdout, stderr)),
        ]
        links = tuple(
            (f"{array_dir}/{ELEMENTS_DIR}/{index}", spec.job_dir)
            for index, spec in enumerate(members)
        )
        requests.append(
            SlurmRequest(
                backend=backend,
                specs=tuple(members),
                detach=True,
                script=script,
                script_path=script_path,
                stdout=stdout,
                index_dir=array_dir,
                files=tuple(files),
                links=links,
                code=tuple((packager, s.job_dir) for s in members if executor.ships_code()),
                dependencies=slurm_job_ids([*head.dependencies, *executor.dependencies]),
                dependency_type=executor.dependency_type,
                array_size=len(members),
                retries=head.retries,
            )
        )
    return requests
