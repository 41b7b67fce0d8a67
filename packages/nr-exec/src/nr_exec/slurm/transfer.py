"""Getting a batch of submissions onto the cluster in a fixed number of round trips.

1. :func:`probe_command`: one command learns the cluster's sbatch options and
   ``MaxArraySize`` (once per tunnel and process) and which code archives are missing.
2. :func:`pack`: every file of the batch (scripts, task configs, manifests, links, missing
   code archives) goes into one tar stream, with paths relative to the remote root.
3. :func:`submit_command`: one shell, reading that stream as its standard input, unpacks it,
   extracts new archives, gives each job its own code tree, calls ``sbatch`` for every
   request (in-batch dependencies use the ids just returned) and indexes each job id.

Code archives are uploaded once per content hash to ``<root>/code/<sha256>.tar.gz`` and
extracted next to it (``<root>/code/<sha256>/``), and both are made read-only: that tree is
the cache (its presence is what :func:`probe_command` checks) and no job runs in it. Each job
directory gets its own writable ``code/`` tree extracted from the cached archive, so jobs
never see each other's files. A packager's ``symlink_from_remote_dir`` is linked as ``code``
instead (a directory the user manages on the cluster).
"""

import io
import re
import shlex
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nr_exec.slurm.quoting import log_dir
from nr_exec.slurm.request import SlurmRequest, relative_to_root
from nr_exec.slurm.status import INDEX_DIR
from nr_exec.spec import StagedFile

__all__ = [
    "CODE_DIR",
    "Submission",
    "code_target",
    "pack",
    "parse_probe",
    "parse_submit",
    "probe_command",
    "submit_command",
]

#: Directory of the remote root holding code archives and their extracted trees.
CODE_DIR = "code"
_SHA = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Submission:
    """One request of a batch and the in-batch requests it depends on.

    Attributes:
        request: What to submit.
        after: Positions (in the batch) of requests it waits for.
        dependency_type: How it waits for them (default: the request's own type).
    """

    request: SlurmRequest
    after: tuple[int, ...] = ()
    dependency_type: str | None = None


def code_target(root: str, sha256: str) -> str:
    """Where the archive with this hash is extracted on the cluster."""
    return f"{root}/{CODE_DIR}/{sha256}"


def probe_command(root: str, hashes: Sequence[str], *, cluster: bool) -> str:
    """One command printing the missing archive hashes.

    With ``cluster``, it also prints sbatch's help and ``MaxArraySize``.
    """
    lines = []
    if cluster:
        lines += [
            "echo @@help; sbatch --help 2>&1",
            "echo @@config; scontrol show config 2>/dev/null | grep -i '^MaxArraySize'",
        ]
    lines.append("echo @@missing")
    for sha in hashes:
        if not _SHA.fullmatch(sha):
            raise ValueError(f"not a SHA-256 hex digest: {sha!r}")
        lines.append(f"[ -d {shlex.quote(code_target(root, sha))} ] || echo {sha}")
    lines.append("true")
    return "\n".join(lines)


def parse_probe(output: str) -> dict[str, str]:
    """Split :func:`probe_command` output into its ``help``, ``config`` and ``missing`` parts."""
    parts: dict[str, list[str]] = {}
    current = ""
    for line in output.splitlines():
        if line in ("@@help", "@@config", "@@missing"):
            current = line[2:]
            parts[current] = []
        elif current:
            parts[current].append(line)
    return {k: "\n".join(v) for k, v in parts.items()}


def pack(
    out: BinaryIO,
    root: str,
    requests: Sequence[SlurmRequest],
    code_links: Mapping[str, str],
    archives: Mapping[str, Path],
) -> None:
    """Write the batch's files to ``out`` as one tar stream, as they must appear under ``root``.

    The submit command unpacks it from its standard input (see :func:`submit_command`), so
    the files travel in the same round trip as the ``sbatch`` calls, thousands of small files
    (an array's elements each have their own job directory) as one stream.

    Args:
        out: Binary file the archive is written to.
        root: Remote root of job directories (member names are relative to it).
        requests: The batch.
        code_links: Remote directory the ``code`` link of a job directory points to, for
            packagers with ``symlink_from_remote_dir`` (archives get a tree of their own in
            :func:`submit_command` instead).
        archives: Archives to upload, by hash.
    """
    members = _Members(root)
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        for request in requests:
            members.add_files(tar, request.files)
            for link, destination in request.links:
                members.add_link(tar, link, destination)
            if request.bundled:
                bundle = io.BytesIO()
                with tarfile.open(fileobj=bundle, mode="w", format=tarfile.GNU_FORMAT) as inner:
                    members.add_files(inner, request.bundled)
                members.add_data(tar, request.bundle_path, bundle.getvalue())
        for job_dir, destination in code_links.items():
            members.add_link(tar, f"{job_dir}/{CODE_DIR}", destination)
        for sha, archive in archives.items():
            info = members.info(f"{root}/{CODE_DIR}/{sha}.tar.gz", 0o644)
            info.size = archive.stat().st_size
            with archive.open("rb") as handle:
                tar.addfile(info, handle)


class _Members:
    """Tar members named relative to the remote root, all of one modification time."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._now = int(time.time())

    def info(self, remote: str, mode: int, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
        """The header of ``remote`` (its name relative to the root)."""
        info = tarfile.TarInfo(relative_to_root(remote, self._root))
        info.mode, info.mtime, info.type = mode, self._now, kind
        return info

    def add_data(
        self, tar: tarfile.TarFile, remote: str, data: bytes, *, executable: bool = False
    ) -> None:
        """Add a regular file (mode 0755 when ``executable``, else 0644)."""
        info = self.info(remote, 0o755 if executable else 0o644)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    def add_files(self, tar: tarfile.TarFile, files: Sequence[StagedFile]) -> None:
        """Add text files (UTF-8)."""
        for item in files:
            self.add_data(tar, item.path, item.content.encode("utf-8"), executable=item.executable)

    def add_link(self, tar: tarfile.TarFile, remote: str, destination: str) -> None:
        """Add a symbolic link to ``destination``."""
        info = self.info(remote, 0o777, tarfile.SYMTYPE)
        info.linkname = destination
        tar.addfile(info)


_SUBMIT_PRELUDE = r"""nl='
'
nr_extract() {
  [ -d "code/$1" ] && return 0
  nr_tmp="code/.$1.$$"
  rm -rf "$nr_tmp" && mkdir -p "$nr_tmp" &&
    tar -xzf "code/$1.tar.gz" -C "$nr_tmp" --no-same-owner --no-same-permissions &&
    mv "$nr_tmp" "code/$1" 2>/dev/null && chmod -R a-w "code/$1" "code/$1.tar.gz" ||
    { rm -rf "$nr_tmp"; [ -d "code/$1" ]; }
}
nr_tree() {
  nr_tree_tmp="$2/.code.$$"
  rm -rf "$nr_tree_tmp" "$2/code" && mkdir -p "$nr_tree_tmp" &&
    tar -xzf "code/$1.tar.gz" -C "$nr_tree_tmp" --no-same-owner --no-same-permissions &&
    mv "$nr_tree_tmp" "$2/code" || { rm -rf "$nr_tree_tmp"; return 1; }
}
nr_submit() {
  nr_pos=$1; nr_dir=$2; shift 2
  nr_out=$(sbatch --parsable "$@" 2>&1) || {
    echo "@@failed $nr_pos $(printf '%s' "$nr_out" | tr '\n' ' ')"; exit 3; }
  nr_out=${nr_out##*"$nl"}; nr_out=${nr_out%%;*}
  ln -sfn "$nr_dir" "$INDEX_DIR/$nr_out"
  eval "nr_id_$nr_pos=\$nr_out"
  echo "@@job $nr_pos $nr_out"
}
""".replace("$INDEX_DIR", INDEX_DIR)


#: File under the remote root locked (shared) by every submitting shell, exclusively by find.
SUBMIT_LOCK = ".submit.lock"
#: The descriptor the lock is held on (inherited by every ``sbatch`` of the submit).
SUBMIT_LOCK_FD = 9


def submit_command(
    root: str,
    batch: Sequence[Submission],
    new_archives: Sequence[str],
    code_trees: Mapping[str, str],
) -> str:
    """The one shell command extracting ``new_archives`` and submitting ``batch`` in order.

    The shell holds a shared lock on ``<root>/.submit.lock`` until it and every ``sbatch`` it
    started have ended (see :func:`nr_exec.slurm.find.find_command`). Holding it, it unpacks
    the batch's files under ``root`` from the tar stream on its standard input (see
    :func:`pack`). Before any ``sbatch``, each job directory of ``code_trees`` gets a fresh
    ``code/`` tree extracted from the cached archive (replacing what an earlier submission
    left there).
    It prints ``@@job <position> <job id>`` per submitted request and stops at the first
    failure with ``@@failed <position> <sbatch output>`` (position ``-1`` before any
    submission).

    Args:
        root: Remote root of job directories.
        batch: The requests, in submission order.
        new_archives: Hashes of the archives just uploaded, to extract into the cache.
        code_trees: Archive hash of each job directory that ships code.
    """
    quoted = shlex.quote(root)
    lines = [
        f"mkdir -p -- {quoted} && cd -- {quoted} || exit 2",
        f"mkdir -p {INDEX_DIR}",
        # A shared lock on the root for as long as this shell or any sbatch it started runs
        # (they inherit the descriptor): find() takes it exclusively, so it never answers
        # "not submitted" while a submit, even one whose launcher died, may still land.
        (
            f"exec {SUBMIT_LOCK_FD}>>{SUBMIT_LOCK} && "
            f"{{ ! command -v flock >/dev/null 2>&1 || flock -s {SUBMIT_LOCK_FD}; }}"
        ),
        # The batch's files (see pack()): a stream cut short (the launcher died) stops here.
        (
            "tar -x -f - --no-same-owner || "
            '{ echo "@@failed -1 cannot unpack the files of the batch"; exit 3; }'
        ),
        _SUBMIT_PRELUDE,
    ]
    for sha in new_archives:
        lines.append(f'nr_extract {sha} || {{ echo "@@failed -1 cannot extract {sha}"; exit 3; }}')
    for job_dir, sha in sorted(code_trees.items()):
        if not _SHA.fullmatch(sha):
            raise ValueError(f"not a SHA-256 hex digest: {sha!r}")
        failed = shlex.quote(f"@@failed -1 cannot extract code archive {sha} into {job_dir}/code")
        lines.append(f"nr_tree {sha} {shlex.quote(job_dir)} || {{ echo {failed}; exit 3; }}")
    log_dirs = sorted({log_dir(s.request.stdout) for s in batch if s.request.stdout})
    if log_dirs:
        lines.append("mkdir -p -- " + " ".join(shlex.quote(d) for d in log_dirs))
    for position, submission in enumerate(batch):
        request = submission.request
        args = [str(position), shlex.quote(request.index_dir)]
        after = [f"${{nr_id_{p}}}" for p in submission.after]
        ids = [*request.dependencies, *after]
        if ids:
            kind = submission.dependency_type or request.dependency_type
            args.append(f'"--dependency={kind}:{":".join(ids)}"')
        args.append(shlex.quote(request.script_path))
        lines.append("nr_submit " + " ".join(args))
    return "\n".join(lines)


def parse_submit(output: str) -> tuple[dict[int, str], str | None]:
    """Job ids by batch position, and the failure message if submission stopped early."""
    ids: dict[int, str] = {}
    failure = None
    for line in output.splitlines():
        if line.startswith("@@job "):
            _, position, job_id = line.split(" ", 2)
            ids[int(position)] = job_id.strip()
        elif line.startswith("@@failed "):
            failure = line.removeprefix("@@failed ")
    return ids, failure
