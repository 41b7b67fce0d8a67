"""Many tasks of the same shape as Slurm job arrays.

Tasks that differ only in their command, environment, files and job directory become the
elements of one array job (chunked so that no array exceeds the cluster's ``MaxArraySize``).
Each element finds its job directory, working directory and command line in the array's
manifest, a shell file with one ``case`` branch per ``$SLURM_ARRAY_TASK_ID``, and unpacks
its own files from the array's bundle when it starts: a sweep of 10,000 elements sends a
few files per array, not 10,000 job directories.
"""

import dataclasses
import json
from collections.abc import Sequence

from nr_exec.jobs import safe_name
from nr_exec.slurm.layout import render
from nr_exec.slurm.quoting import command_line, export_lines, quote
from nr_exec.slurm.request import SlurmRequest, relative_to_root
from nr_exec.slurm.script import (
    LOG_INFO_FILE,
    SCRIPT_FILE,
    base_extra,
    common_env,
    extra_options,
    job_name,
    log_info,
    sbatch_block,
    slurm_job_ids,
    step_command,
    uses_head_node,
)
from nr_exec.slurm.settings import SlurmSettings
from nr_exec.spec import JobSpec, Resources, StagedFile

__all__ = [
    "ARRAYS_DIR",
    "BUNDLE_FILE",
    "ELEMENTS_DIR",
    "JOB_IDS_FILE",
    "MANIFEST_FILE",
    "build_array_requests",
    "chunk_ranges",
    "shape_key",
]

#: Directory of an experiment's (or ``jobs``') directory holding its array directories.
ARRAYS_DIR = "arrays"
#: Name of the manifest in the array directory.
MANIFEST_FILE = "manifest.sh"
#: Directory of the array directory holding one link per element to its job directory
#: (made by the element when it starts).
ELEMENTS_DIR = "elements"
#: Tar archive of the array directory holding the files of every element's job directory
#: (names relative to the remote root), unpacked by each element for itself.
BUNDLE_FILE = "elements.tar"
#: File of the array directory listing the elements' job ids, one a line, in index order
#: (how ``SlurmBackend.find`` tells which array element carries a job id).
JOB_IDS_FILE = "jobs.txt"


_RESOURCE_FIELDS = dataclasses.fields(Resources)


def shape_key(spec: JobSpec, options: str) -> str:
    """What must be equal for specs to share an array: resources, settings, retries, ...

    Args:
        spec: A job spec.
        options: The spec's Slurm settings as canonical JSON (``SlurmSettings.to_json``).
    """
    shape = {
        "resources": {f.name: getattr(spec.resources, f.name) for f in _RESOURCE_FIELDS},
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


def _manifest(specs: Sequence[JobSpec], common: dict[str, str], root: str) -> str:
    lines = [
        "# nr-exec array manifest: job directory, working directory, command and bundled",
        "# files (their directory in the bundle, or nothing) of each element",
        'case "$SLURM_ARRAY_TASK_ID" in',
    ]
    for index, spec in enumerate(specs):
        env = {k: v for k, v in spec.env.items() if common.get(k) != v}
        line = " && ".join([*export_lines(env), f"exec {command_line(spec.argv)}"])
        unpack = relative_to_root(spec.job_dir, root) if spec.files else ""
        lines += [
            f"{index})",
            f"  nr_job_dir={quote(spec.job_dir)}",
            f"  nr_workdir={quote(spec.workdir or spec.job_dir)}",
            f"  nr_line={quote(line)}",
            f"  nr_unpack={quote(unpack)}",
            "  ;;",
        ]
    lines += [
        '*) echo "nr-exec: no array element $SLURM_ARRAY_TASK_ID" >&2; exit 1 ;;',
        "esac",
        "",
    ]
    return "\n".join(lines)


def _element_setup(manifest: str, bundle: str, array_dir: str, root: str) -> str:
    """The lines an element starts with: its manifest entry, its job directory and files.

    The job directories of an array's elements are made by the elements themselves when
    they start (one archive per array travels at submission, not a directory per element):
    each unpacks its own files from the bundle and links its job directory as
    ``elements/<index>`` (where its exit marker is found).
    """
    element = f'{quote(f"{array_dir}/{ELEMENTS_DIR}")}/"$SLURM_ARRAY_TASK_ID"'
    unpack = f'{quote(bundle)} -C {quote(root)} --no-same-owner "$nr_unpack"'
    failed = 'echo "nr-exec: array element $SLURM_ARRAY_TASK_ID cannot set up $nr_job_dir" >&2'
    return "\n".join(
        [
            f". {quote(manifest)}",
            f'mkdir -p "$nr_job_dir" {quote(f"{array_dir}/{ELEMENTS_DIR}")} &&',
            f'  ln -sfn "$nr_job_dir" {element} &&',
            f'  {{ [ -z "$nr_unpack" ] || tar -x -f {unpack}; }} ||',
            f"  {{ {failed}; exit 1; }}",
        ]
    )


def build_array_requests(
    specs: Sequence[JobSpec],
    settings: SlurmSettings,
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
        settings: Their shared Slurm settings.
        root: Remote root of job directories.
        name: Name of the array (its directory is ``<root>/<experiment>/arrays/<name>-<k>``,
            and ``<name>-<k>`` is the Slurm job name of chunk ``k``).
        max_array_size: The cluster's ``MaxArraySize``.
        parallelism: Most elements running at once, or None for no limit.
        backend: Backend name recorded in the requests.
    """
    requests = []
    group = specs[0].experiment_id or "jobs"
    for number, chunk in enumerate(chunk_ranges(len(specs), max_array_size)):
        members = [specs[i] for i in chunk]
        head = members[0]
        array_name = f"{safe_name(name)}-{number}"
        array_dir = f"{root}/{group}/{ARRAYS_DIR}/{array_name}"
        title = job_name(head, settings)
        stdout, stderr = settings.log_files(safe_name(name), array_dir, array=True)
        extra = base_extra(settings, stdout, stderr, head.retries)
        limit = f"%{parallelism}" if parallelism else ""
        extra["array"] = f"0-{len(members) - 1}{limit}"
        common = common_env(members)
        manifest_path = f"{array_dir}/{MANIFEST_FILE}"
        bundle_path = f"{array_dir}/{BUNDLE_FILE}"
        script_path = f"{array_dir}/{SCRIPT_FILE}"
        script = render(
            title=f"an array of {len(members)} jobs ({title})",
            script_path=script_path,
            blocks=[sbatch_block(head, settings, name=array_name, extra=extra)],
            job_dir_setup=_element_setup(manifest_path, bundle_path, array_dir, root),
            head_node=any(uses_head_node(spec) for spec in members),
            het_groups=[],
            exports=export_lines(common),
            setup_lines=settings.setup_lines or "",
            steps=[step_command(settings, argv=None, env={}, workdir='"$nr_workdir"', root=root)],
            wait_time=0,
            monitor=False,
            monitor_grace=0,
            retries=head.retries,
        )
        files = [
            StagedFile(manifest_path, _manifest(members, common, root)),
            StagedFile(script_path, script),
            StagedFile(f"{array_dir}/{LOG_INFO_FILE}", log_info(stdout, stderr)),
            StagedFile(f"{array_dir}/{JOB_IDS_FILE}", "".join(f"{s.job_id}\n" for s in members)),
        ]
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
                bundle_path=bundle_path,
                bundled=tuple(item.staged(s.job_dir) for s in members for item in s.files),
                code=tuple((settings.packager, s.job_dir) for s in members if settings.ships_code),
                dependencies=slurm_job_ids([*head.dependencies, *settings.dependencies]),
                dependency_type=settings.dependency_type,
                array_size=len(members),
                retries=head.retries,
                extra_options=extra_options([settings]),
            )
        )
    return requests
