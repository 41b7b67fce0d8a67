"""``SlurmBackend``: sbatch scripts, batched submission, one-query status, log tails, scancel.

Remote layout under the root (``tunnel.job_dir``, or ``$NEMORUN_HOME/slurm`` locally)::

    code/<sha256>.tar.gz, code/<sha256>/    code archives, stored and extracted once
    <experiment id or "jobs">/<job id>/     a job directory: sbatch.sh, configs/, scripts/,
                                            logs/, slurm.json (log paths), exit.json, code ->
    <experiment id or "jobs">/arrays/<name>-<k>/   an array: sbatch.sh, manifest.sh, logs/,
                                            elements/<i> -> the element's job directory
    .jobs/<slurm job id> -> the job (or array) directory

The index makes a handle (``slurm://<user@host[:port] or local>/<slurm job id>``, with
``_<i>`` for an array element) enough to find a job's logs and exit marker from any process.
"""

import json
import shlex
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from nr_package import Packager
from nr_tunnel import LocalTunnel, SSHTunnel

from nr_exec.backend import Backend, BatchEntry, Capabilities, Request, as_group
from nr_exec.errors import BackendError, BatchSubmitError, ExecutorConfigError
from nr_exec.handle import Handle
from nr_exec.jobs import new_job_id, safe_name
from nr_exec.slurm.arrays import build_array_requests, shape_key
from nr_exec.slurm.executor import SlurmExecutor
from nr_exec.slurm.logs import expand_log_path, tail
from nr_exec.slurm.options import ClusterInfo, check_options, option_name
from nr_exec.slurm.script import LOG_INFO_FILE, SlurmRequest, build_request
from nr_exec.slurm.status import INDEX_DIR, parse_status, status_command
from nr_exec.slurm.transfer import (
    Submission,
    code_target,
    parse_probe,
    parse_submit,
    probe_command,
    stage,
    submit_command,
)
from nr_exec.spec import JobSpec
from nr_exec.states import JobState, JobStatus

__all__ = ["SlurmBackend", "SlurmSubmitError"]

_CLUSTERS: dict[str, ClusterInfo] = {}
_ENDED = ("already completing or completed", "Invalid job id")


class SlurmSubmitError(BatchSubmitError):
    """``sbatch`` refused an entry of a batch; ``submitted`` lists what was submitted."""


class SlurmBackend(Backend):
    """Runs jobs on a Slurm cluster reached through a tunnel.

    Args:
        tunnel: Where ``sbatch`` & co. run (default: the local machine).
        defaults: Slurm settings of specs that carry none (specs made by
            ``SlurmExecutor.to_job_spec`` carry their own in ``backend_options``).
        source: Directory packaged by the packagers (default: the current directory at
            submission).
    """

    name: ClassVar[str] = "slurm"
    capabilities: ClassVar[Capabilities] = Capabilities(
        detach=True,
        dependencies=True,
        job_groups=True,
        arrays=True,
        retries=True,
        follow_logs=True,
        gpus=True,
    )

    def __init__(
        self,
        tunnel: LocalTunnel | SSHTunnel | None = None,
        *,
        defaults: SlurmExecutor | None = None,
        source: str | Path | None = None,
    ) -> None:
        if defaults is None:
            defaults = SlurmExecutor(packager=Packager(), tunnel=tunnel or LocalTunnel(job_dir=""))
        self.defaults = defaults
        self.tunnel = tunnel or defaults.tunnel
        self.root = SlurmExecutor(packager=Packager(), tunnel=self.tunnel).remote_root()
        self.cluster = (
            defaults.cluster_name()
            if tunnel is None
            else SlurmExecutor(packager=Packager(), tunnel=tunnel).cluster_name()
        )
        self.source = Path(source) if source is not None else None
        self._resolved: dict[str, tuple[SlurmExecutor, str]] = {}
        self._log_paths: dict[str, str] = {}

    # -- cluster facts ----------------------------------------------------------------------------

    def known_cluster(self) -> ClusterInfo | None:
        """What was learned about this tunnel's cluster in this process, if anything."""
        return _CLUSTERS.get(self.tunnel.key)

    def _probe(self, hashes: Sequence[str]) -> tuple[ClusterInfo, set[str]]:
        known = self.known_cluster()
        output = self.tunnel.run(probe_command(self.root, hashes, cluster=known is None)).stdout
        parts = parse_probe(output)
        if known is None:
            known = ClusterInfo.parse(parts.get("help", ""), parts.get("config", ""))
            _CLUSTERS[self.tunnel.key] = known
        return known, set(parts.get("missing", "").split())

    # -- dry-run ----------------------------------------------------------------------------------

    def _resolve(self, spec: JobSpec) -> tuple[SlurmExecutor, str]:
        options = spec.backend_options
        key = json.dumps(options, sort_keys=True)
        found = self._resolved.get(key)
        if found is None:
            executor = SlurmExecutor.from_backend_options(options) if options else self.defaults
            import nr_config  # noqa: PLC0415 - only needed to key packagers

            packager = nr_config.dumps_json(
                nr_config.dataclass_to_config(executor.packager), indent=None
            )
            found = self._resolved[key] = (executor, packager)
        return found

    def _check_options(self, executors: Sequence[SlurmExecutor], info: ClusterInfo) -> None:
        for executor in executors:
            names = [option_name(k) for k in executor.additional_parameters]
            try:
                check_options(names, info.options, field="SlurmExecutor.additional_parameters")
            except ValueError as exc:
                raise ExecutorConfigError(
                    "SlurmExecutor.additional_parameters", "sbatch option names", str(exc)
                ) from None

    def dryrun(self, specs: JobSpec | Sequence[JobSpec], *, detach: bool = True) -> SlurmRequest:
        """Make the request of one job, a group, or a heterogeneous job.

        A group runs one ``srun`` step per spec in one allocation; it is heterogeneous when the
        first spec's executor sets ``heterogeneous``.

        Nothing is written or submitted; ``request.materialize()`` is the sbatch script.

        Raises:
            ExecutorConfigError: An ``additional_parameters`` name is not an sbatch option
                (checked against the cluster's list when known in this process, else the
                built-in list).
            BackendError: A value cannot be written safely into the script.
        """
        group = as_group(specs)
        self.check_supported(group, detach=False)
        resolved = [self._resolve(spec) for spec in group]
        executors = [executor for executor, _ in resolved]
        self._check_options(executors, self.known_cluster() or ClusterInfo())
        try:
            return build_request(
                group,
                executors,
                [packager for _, packager in resolved],
                root=self.root,
                backend=self.name,
                detach=detach,
            )
        except ValueError as exc:
            raise BackendError(str(exc)) from exc

    def dryrun_array(
        self,
        specs: Sequence[JobSpec],
        *,
        name: str | None = None,
        parallelism: int | None = None,
        max_array_size: int | None = None,
    ) -> list[SlurmRequest]:
        """Make array requests running ``specs`` (same shape) as array elements.

        Args:
            specs: The tasks; they must differ only in command, environment, files and job
                directory.
            name: Name of the array (default: derived from the first spec).
            parallelism: Most elements running at once (default: the executor's
                ``array_parallelism``).
            max_array_size: Elements per array (default: the cluster's ``MaxArraySize``,
                asked once per tunnel and process).

        Raises:
            BackendError: The specs are not all of one shape.
        """
        group = as_group(specs)
        resolved = [self._resolve(spec) for spec in group]
        shapes = {
            shape_key(spec, packager) for spec, (_, packager) in zip(group, resolved, strict=True)
        }
        if len(shapes) != 1:
            raise BackendError(
                "an array needs tasks of one shape (same resources, settings, retries and "
                f"dependencies); got {len(shapes)} shapes"
            )
        executor, packager = resolved[0]
        info = self.known_cluster() or (ClusterInfo() if max_array_size else self._probe(())[0])
        self._check_options([executor], info)
        try:
            return build_array_requests(
                group,
                executor,
                packager,
                root=self.root,
                name=name or new_job_id(f"{safe_name(group[0].name)}-array"),
                max_array_size=max_array_size or info.max_array_size,
                parallelism=parallelism or executor.array_parallelism,
                backend=self.name,
            )
        except ValueError as exc:
            raise BackendError(str(exc)) from exc

    # -- submission -------------------------------------------------------------------------------

    def submit(self, request: Request) -> Handle:
        """Submit one request; an array request's handle names the whole array."""
        if not isinstance(request, SlurmRequest):
            raise BackendError(f"the slurm backend cannot submit a {type(request).__name__}")
        handles = self.submit_many([request])[0]
        return (
            handles[0]
            if request.array_size is None
            else Handle(self.name, self.cluster, handles[0].job_id.partition("_")[0])
        )

    def submit_array(
        self, specs: Sequence[JobSpec], *, name: str | None = None, parallelism: int | None = None
    ) -> list[Handle]:
        """Submit same-shape specs as job arrays (see :meth:`dryrun_array`) in one batch.

        Returns:
            One handle per spec (``<array job id>_<index>``), in order.
        """
        requests = self.dryrun_array(specs, name=name, parallelism=parallelism)
        return [h for handles in self.submit_many(requests) for h in handles]

    def batch_key(self) -> tuple[str, str]:
        """``("slurm", <cluster>)``: one backend serves every Slurm executor of a tunnel."""
        return (self.name, self.cluster)

    def submit_batch(self, entries: Sequence[BatchEntry]) -> list[list[Handle]]:
        """Submit entries with :meth:`submit_many` (one transfer, one remote shell).

        Raises:
            BackendError: An entry is not a Slurm request.
            SlurmSubmitError: ``sbatch`` refused an entry.
        """
        batch = []
        for entry in entries:
            if not isinstance(entry.request, SlurmRequest):
                raise BackendError(
                    f"the slurm backend cannot submit a {type(entry.request).__name__}"
                )
            batch.append(Submission(entry.request, entry.after))
        return self.submit_many(batch)

    def submit_many(
        self, batch: Sequence[SlurmRequest | Submission], *, sequential: bool = False
    ) -> list[list[Handle]]:
        """Submit a batch: package code once per packager, one file transfer, one remote shell.

        Args:
            batch: Requests, or :class:`~nr_exec.slurm.transfer.Submission` entries naming
                earlier entries of the batch they depend on (native Slurm dependencies).
            sequential: Make each entry depend on the previous one (with its
                ``dependency_type``).

        Returns:
            The handles of each entry, in order (one per array element for array requests).

        Raises:
            SlurmSubmitError: ``sbatch`` refused an entry; the error lists what was submitted.
        """
        items = [b if isinstance(b, Submission) else Submission(b) for b in batch]
        if sequential:
            items = [
                Submission(s.request, (*s.after, i - 1) if i else s.after, s.dependency_type)
                for i, s in enumerate(items)
            ]
        for position, item in enumerate(items):
            if any(p < 0 or p >= position for p in item.after):
                raise BackendError(f"batch entry {position} may only wait for earlier entries")
        requests = [item.request for item in items]
        with tempfile.TemporaryDirectory(prefix="nr-slurm-") as temp:
            links, archives = self._package(requests, Path(temp) / "packages")
            info, missing = self._probe(sorted(archives))
            self._check_options([self._resolve(s)[0] for r in requests for s in r.specs], info)
            staged = Path(temp) / "stage"
            staged.mkdir()
            new = {sha: path for sha, path in archives.items() if sha in missing}
            stage(staged, self.root, requests, links, new)
            self.tunnel.sync(staged, self.root)
        output = self.tunnel.run(submit_command(self.root, items, sorted(new)), warn=True).stdout
        ids, failure = parse_submit(output)
        submitted = [self._handles(requests[p], ids[p]) for p in sorted(ids)]
        if failure is not None or len(ids) != len(items):
            raise SlurmSubmitError(f"sbatch failed: {failure or output.strip()}", submitted)
        return submitted

    def _handles(self, request: SlurmRequest, job_id: str) -> list[Handle]:
        if request.array_size is None:
            return [Handle(self.name, self.cluster, job_id)]
        return [Handle(self.name, self.cluster, f"{job_id}_{i}") for i in range(request.array_size)]

    def _package(
        self, requests: Sequence[SlurmRequest], out_dir: Path
    ) -> tuple[dict[str, str], dict[str, Path]]:
        """Package each distinct packager once; return code links by job dir and archives."""
        import nr_config  # noqa: PLC0415 - only needed when code is shipped

        targets: dict[str, str] = {}
        archives: dict[str, Path] = {}
        links: dict[str, str] = {}
        source = self.source or Path.cwd()
        for request in requests:
            for packager_json, job_dir in request.code:
                if packager_json not in targets:
                    packager: Packager = nr_config.build(nr_config.loads_json(packager_json))
                    if packager.symlink_from_remote_dir:
                        targets[packager_json] = packager.symlink_from_remote_dir
                    else:
                        result = packager.package(source, out_dir / str(len(targets)), "code")
                        if result.archive is None:
                            raise BackendError(f"{type(packager).__name__} produced no archive")
                        archives[result.sha256] = result.archive
                        targets[packager_json] = code_target(self.root, result.sha256)
                links[job_dir] = targets[packager_json]
        return links, archives

    # -- status, logs, cancel ------------------------------------------------------------------

    def _own(self, handle: Handle) -> bool:
        return handle.backend == self.name and handle.cluster == self.cluster

    def status(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus]:
        """Status of every handle from one remote command.

        The command runs sacct (or squeue when accounting is disabled) and prints the exit
        markers.
        """
        own = [h for h in handles if self._own(h)]
        result = {
            h: JobStatus(JobState.UNKNOWN, message=f"not a job of {self.name}://{self.cluster}")
            for h in handles
            if not self._own(h)
        }
        if own:
            ids = [h.job_id for h in own]
            output = self.tunnel.run(status_command(ids, self.root), warn=True).stdout
            found = parse_status(output, ids)
            result.update({h: found[h.job_id] for h in own})
        return result

    def log_path(self, handle: Handle) -> str:
        """The batch script's output file of ``handle`` on the cluster (one lookup, cached)."""
        path = self._log_paths.get(handle.job_id)
        if path is None:
            base = handle.job_id.partition("_")[0]
            info_file = f"{self.root}/{INDEX_DIR}/{base}/{LOG_INFO_FILE}"
            result = self.tunnel.run(f"cat {shlex.quote(info_file)}", warn=True)
            if not result.ok:
                raise BackendError(f"no log information for {handle} ({info_file} is missing)")
            path = expand_log_path(json.loads(result.stdout)["stdout"], handle.job_id)
            self._log_paths[handle.job_id] = path
        return path

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """Yield the job's output lines from byte offset ``since``; only new bytes are read.

        With ``follow``, keep reading until the job has ended and the file is exhausted.
        """
        path = self.log_path(handle)

        def is_live() -> bool:
            state = self.status([handle])[handle].state
            return state in (JobState.PENDING, JobState.RUNNING, JobState.SUBMITTED)

        return tail(self.tunnel, path, since=since, follow=follow, is_live=is_live)

    def cancel(self, handle: Handle) -> None:
        """``scancel`` the job; cancelling an ended or unknown job does nothing."""
        self.cancel_many([handle])

    def cancel_many(self, handles: Sequence[Handle]) -> None:
        """``scancel`` all the jobs in one command (idempotent).

        Dependents of a cancelled job are cancelled by Slurm too: every script asks for
        ``--kill-on-invalid-dep=yes``.

        Raises:
            BackendError: A handle belongs to another cluster, or scancel failed otherwise.
        """
        for handle in handles:
            if not self._own(handle):
                raise BackendError(f"cannot cancel {handle}: not a job of {self.cluster}")
        if not handles:
            return
        ids = " ".join(shlex.quote(h.job_id) for h in handles)
        result = self.tunnel.run(f"scancel {ids}", warn=True)
        errors = [
            line
            for line in result.stderr.splitlines()
            if line.strip() and not any(text in line for text in _ENDED)
        ]
        if not result.ok and errors:
            raise BackendError(f"scancel failed: {'; '.join(errors)}")
