"""``SlurmBackend``: sbatch scripts, batched submission, one-query status and find, log tails.

Remote layout under the root (``tunnel.job_dir``, or ``<home>/slurm`` for a local tunnel)::

    code/<sha256>.tar.gz, code/<sha256>/    code archives, uploaded and extracted once per
                                            hash, read-only (a cache no job runs in)
    <experiment id or "jobs">/<job id>/     a job directory: sbatch.sh, configs/, scripts/,
                                            logs/, slurm.json (log paths), exit.json, code/
                                            (the job's own tree, extracted from the cache)
    <experiment id or "jobs">/arrays/<name>-<k>/   an array: sbatch.sh, manifest.sh, logs/,
                                            jobs.txt (element job ids),
                                            elements/<i> -> the element's job directory
    .jobs/<slurm job id> -> the job (or array) directory

The index makes a handle (``slurm://<user@host[:port] or local>/<slurm job id>``, with
``_<i>`` for an array element) enough to find a job's logs and exit marker from any process.

Read-only remote commands (the probe, status, find, log lookups) are run again once after a
dropped connection; ``sbatch`` never is: after a drop, what reached the cluster is learned
with :meth:`SlurmBackend.find`.
"""

import functools
import json
import logging
import re
import shlex
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import nr_config
from nr_package import Packager
from nr_tunnel import ConnectionLostError, LocalTunnel, RunResult, SSHTunnel

from nr_exec.backend import Backend, BatchEntry, Capabilities, as_group
from nr_exec.context import BackendContext
from nr_exec.errors import BackendError, BatchSubmitError, ExecutorConfigError
from nr_exec.handle import Handle
from nr_exec.jobs import new_job_id, safe_name
from nr_exec.slurm.arrays import build_array_requests, shape_key
from nr_exec.slurm.cluster import (
    LOCAL_CLUSTER,
    cluster_name,
    connection_data,
    known_cluster,
    learn_cluster,
    tunnel_from_connection,
)
from nr_exec.slurm.find import SUBMIT_WAIT, find_command, findable, parse_find, submits_in_flight
from nr_exec.slurm.logs import expand_log_path, tail
from nr_exec.slurm.options import ClusterInfo, check_options
from nr_exec.slurm.request import SlurmRequest
from nr_exec.slurm.script import LOG_INFO_FILE, build_request
from nr_exec.slurm.settings import SlurmSettings
from nr_exec.slurm.status import INDEX_DIR, parse_status, status_command
from nr_exec.slurm.transfer import (
    Submission,
    pack,
    parse_probe,
    parse_submit,
    probe_command,
    submit_command,
)
from nr_exec.spec import JobSpec
from nr_exec.states import JobState, JobStatus

__all__ = ["SlurmBackend", "SlurmSubmitError", "SubmitInFlightError"]

_log = logging.getLogger(__name__)
_ENDED = ("already completing or completed", "Invalid job id")
_SLURM_JOB_ID = re.compile(r"\d+(_\d+)?")
#: Pause before a read-only command is run again after a dropped connection (seconds).
RETRY_PAUSE = 0.5
#: Distinct settings records kept decoded (a sweep's specs mostly share one).
SETTINGS_CACHE_SIZE = 256
#: How many days back ``find`` asks ``sacct`` by default.
FIND_LOOKBACK_DAYS = 30
#: Most characters of job ids in one status or find command (Linux caps one argument, the
#: command line a remote shell gets, at 128 KiB); longer lists take several commands.
ID_BUDGET = 40_000


def scancel_ids(job_ids: Iterable[str]) -> list[str]:
    """The ids to give ``scancel``: the elements of one array as ``<array>_[<ranges>]``.

    ``scancel 7_[0-999]`` cancels a thousand pending elements in a fraction of the time a
    thousand ``7_<i>`` take (the controller splits the pending array record once). Other
    ids are kept as they are, in their order.
    """
    found: dict[str, list[int] | None] = {}  # "<array>_" gathers that array's indices
    for job_id in job_ids:
        base, _, index = job_id.partition("_")
        if index.isdigit():
            indices = found.setdefault(f"{base}_", [])
            if indices is not None:
                indices.append(int(index))
        else:
            found.setdefault(job_id, None)
    return [
        job_id if indices is None else f"{job_id}[{_ranges(indices)}]"
        for job_id, indices in found.items()
    ]


def _ranges(indices: list[int]) -> str:
    """``0-3,7,9-12`` from the indices (any order, no repeats)."""
    parts: list[str] = []
    ordered = sorted(set(indices))
    start = previous = ordered[0]
    for index in [*ordered[1:], None]:
        if index is not None and index == previous + 1:
            previous = index
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if index is not None:
            start = previous = index
    return ",".join(parts)


def _chunks(ids: Sequence[str], budget: int = ID_BUDGET) -> Iterator[list[str]]:
    """Consecutive runs of ``ids`` of at most ``budget`` characters (at least one id each)."""
    chunk: list[str] = []
    size = 0
    for job_id in ids:
        if chunk and size + len(job_id) > budget:
            yield chunk
            chunk, size = [], 0
        chunk.append(job_id)
        size += len(job_id) + 1
    if chunk:
        yield chunk


@functools.lru_cache(maxsize=SETTINGS_CACHE_SIZE)
def _settings_from_json(options_json: str) -> SlurmSettings:
    """Decode canonical settings JSON once: the record is frozen, so specs may share it."""
    return SlurmSettings.from_json(options_json)


class SubmitInFlightError(BackendError):
    """``find`` cannot answer yet: a submit to the cluster may still land jobs."""


class SlurmSubmitError(BatchSubmitError):
    """``sbatch`` refused an entry of a batch, or the connection dropped while it ran.

    ``submitted`` lists what is known to have reached the cluster, in batch order.
    """


class SlurmBackend(Backend[SlurmSettings, SlurmRequest]):
    """Runs jobs on a Slurm cluster reached through a tunnel.

    Args:
        tunnel: Where ``sbatch`` & co. run (default: this machine). Its ``job_dir`` is the
            remote root of job directories; a ``LocalTunnel`` without one uses
            ``<context.home>/slurm``.
        context: The store's home (default: :meth:`BackendContext.default`).
        source: Directory packaged by the packagers (default: the current directory at
            submission).

    Raises:
        BackendError: An ``SSHTunnel`` without ``job_dir``.
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
        exit_markers=True,
        launcher_transform=True,
    )
    settings_type = SlurmSettings

    def __init__(
        self,
        tunnel: LocalTunnel | SSHTunnel | None = None,
        *,
        context: BackendContext | None = None,
        source: str | Path | None = None,
    ) -> None:
        super().__init__(context=context)
        self.tunnel = tunnel if tunnel is not None else LocalTunnel()
        if isinstance(self.tunnel, SSHTunnel) and not self.tunnel.job_dir:
            raise BackendError(
                f"the SSH tunnel to {self.tunnel.key} needs job_dir, the remote root of job "
                "directories"
            )
        self.root = self.tunnel.job_dir or str(self.context.home / "slurm")
        self.source = Path(source) if source is not None else None
        self._log_paths: dict[str, str] = {}

    @classmethod
    def create(cls, cluster: str, *, context: BackendContext) -> "SlurmBackend":
        """Build the backend of ``cluster`` from ``context.connection``.

        Empty connection data means a ``LocalTunnel`` on ``<home>/slurm``, which only serves
        the ``local`` cluster.

        Raises:
            BackendError: The connection data is not Slurm's, serves another cluster, or is
                missing for a remote cluster.
        """
        tunnel = tunnel_from_connection(context.connection)
        if tunnel is None and cluster not in ("", LOCAL_CLUSTER):
            raise BackendError(
                f"no connection data for slurm://{cluster}: build the backend from the "
                "connection its SlurmExecutor saved (SlurmExecutor.connection())"
            )
        backend = cls(tunnel, context=context)
        if cluster and backend.cluster != cluster:
            raise BackendError(
                f"the connection data reaches slurm://{backend.cluster}, not slurm://{cluster}"
            )
        return backend

    @property
    def cluster(self) -> str:
        """``user@host[:port]`` over SSH, ``local`` otherwise."""
        return cluster_name(self.tunnel)

    def connection(self) -> dict[str, Any]:
        """The tunnel's settings and the remote root (see :mod:`nr_exec.slurm.cluster`)."""
        return connection_data(self.tunnel, self.root)

    # -- remote commands ------------------------------------------------------------------------

    def _query(self, command: str) -> RunResult:
        """Run a read-only command; after a dropped connection, once more."""
        try:
            return self.tunnel.run(command, warn=True)
        except ConnectionLostError as exc:
            _log.info("connection to %s dropped (%s); asking again", self.cluster, exc)
            time.sleep(RETRY_PAUSE)
            return self.tunnel.run(command, warn=True)

    def known_cluster(self) -> ClusterInfo | None:
        """What was learned about this tunnel's cluster in this process, if anything."""
        return known_cluster(self.tunnel)

    def _probe(self, hashes: Sequence[str]) -> tuple[ClusterInfo, set[str]]:
        known = self.known_cluster()
        output = self._query(probe_command(self.root, hashes, cluster=known is None)).stdout
        parts = parse_probe(output)
        if known is None:
            known = learn_cluster(self.tunnel, parts.get("help", ""), parts.get("config", ""))
        return known, set(parts.get("missing", "").split())

    # -- dry-run --------------------------------------------------------------------------------

    def decode_settings(self, spec: JobSpec) -> SlurmSettings:
        """Read the spec's Slurm settings (made by ``SlurmExecutor.settings``).

        Raises:
            BackendError: The spec carries no Slurm settings, or another backend's.
        """
        return self._settings_with_key(spec)[0]

    def _settings_with_key(self, spec: JobSpec) -> tuple[SlurmSettings, str]:
        """The spec's settings and their canonical JSON, decoded once per distinct JSON.

        Raises:
            BackendError: The spec carries no Slurm settings, or another backend's.
        """
        if not spec.backend_options:
            raise BackendError(
                f"job spec {spec.job_id!r} carries no Slurm settings; make it with "
                "SlurmExecutor.to_job_spec"
            )
        try:
            options_json = json.dumps(spec.backend_options, sort_keys=True)
        except TypeError:  # not JSON data: decode it as it is (from_options names the key)
            settings = super().decode_settings(spec)
            return settings, settings.to_json()
        return _settings_from_json(options_json), options_json

    def _check_options(self, option_names: Sequence[str], info: ClusterInfo) -> None:
        try:
            check_options(option_names, info.options, field="SlurmExecutor.additional_parameters")
        except ValueError as exc:
            raise ExecutorConfigError(
                "SlurmExecutor.additional_parameters", "sbatch option names", str(exc)
            ) from None

    def _dryrun(
        self, group: tuple[JobSpec, ...], settings: tuple[SlurmSettings, ...], *, detach: bool
    ) -> SlurmRequest:
        """Make the request of one job, a group, or a heterogeneous job.

        A group runs one ``srun`` step per spec in one allocation; it is heterogeneous when the
        first spec's settings say ``heterogeneous``. ``request.materialize()`` is the script.

        Raises:
            ExecutorConfigError: An ``additional_parameters`` name is not an sbatch option
                (checked against the cluster's list when known in this process, else the
                built-in list).
            BackendError: A value cannot be written safely into the script.
        """
        try:
            request = build_request(
                group, settings, root=self.root, backend=self.name, detach=detach
            )
        except ValueError as exc:
            raise BackendError(str(exc)) from exc
        self._check_options(request.extra_options, self.known_cluster() or ClusterInfo())
        return request

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
            parallelism: Most elements running at once (default: the settings'
                ``array_parallelism``).
            max_array_size: Elements per array (default: the cluster's ``MaxArraySize``,
                asked once per tunnel and process).

        Raises:
            UnsupportedFeatureError: The specs use a feature the backend lacks.
            BackendError: The specs are not all of one shape, or carry no Slurm settings.
        """
        group = as_group(specs)
        self.check_supported(group, detach=True)
        decoded = [self._settings_with_key(spec) for spec in group]
        settings = [s for s, _ in decoded]
        shapes = {shape_key(spec, key) for spec, (_, key) in zip(group, decoded, strict=True)}
        if len(shapes) != 1:
            raise BackendError(
                "an array needs tasks of one shape (same resources, settings, retries and "
                f"dependencies); got {len(shapes)} shapes"
            )
        info = self.known_cluster() or (ClusterInfo() if max_array_size else self._probe(())[0])
        try:
            requests = build_array_requests(
                group,
                settings[0],
                root=self.root,
                name=name or new_job_id(f"{safe_name(group[0].name)}-array"),
                max_array_size=max_array_size or info.max_array_size,
                parallelism=parallelism or settings[0].array_parallelism,
                backend=self.name,
            )
        except ValueError as exc:
            raise BackendError(str(exc)) from exc
        self._check_options(requests[0].extra_options, info)
        return requests

    # -- submission -----------------------------------------------------------------------------

    def submit(self, request: SlurmRequest) -> Handle:
        """Submit one request; an array request's handle names the whole array."""
        handles = self.submit_many([request])[0]
        if request.array_size is None:
            return handles[0]
        return Handle(self.name, self.cluster, handles[0].job_id.partition("_")[0])

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
            SlurmSubmitError: ``sbatch`` refused an entry, or the connection dropped.
        """
        batch = []
        for entry in entries:
            if not isinstance(entry.request, SlurmRequest):  # BatchEntry holds any Request
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
            SlurmSubmitError: ``sbatch`` refused an entry, or the connection dropped while
                the batch was submitted; ``submitted`` lists the entries known to have
                reached the cluster (after a drop, those :meth:`find` saw at once; others
                may still arrive, so look for them with :meth:`find` before submitting
                them again).
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
            links, trees, archives = self._package(requests, Path(temp) / "packages")
            info, missing = self._probe(sorted(archives))
            self._check_options([n for r in requests for n in r.extra_options], info)
            new = {sha: path for sha, path in archives.items() if sha in missing}
            with tempfile.TemporaryFile(dir=temp) as files:
                pack(files, self.root, requests, links, new)
                files.seek(0)
                command = submit_command(self.root, items, sorted(new), trees)
                output = self._run_submit(command, files, requests)
        ids, failure = parse_submit(output)
        submitted = [self._handles(requests[p], ids[p]) for p in sorted(ids)]
        if failure is not None or len(ids) != len(items):
            raise SlurmSubmitError(f"sbatch failed: {failure or output.strip()}", submitted)
        return submitted

    def _run_submit(self, command: str, files: BinaryIO, requests: Sequence[SlurmRequest]) -> str:
        """Run the submit command with the batch's files on its stdin; return its output.

        Raises:
            SlurmSubmitError: The connection dropped (``submitted``: what :meth:`find` sees).
        """
        try:
            return self.tunnel.run(command, warn=True, stdin=files).stdout
        except ConnectionLostError as exc:
            try:
                submitted = self._reached(requests) if exc.may_have_run else []
            except SubmitInFlightError:
                submitted = []  # the batch's own sbatch still runs: nothing is known yet
            raise SlurmSubmitError(
                f"the connection to {self.cluster} dropped while the batch was submitted; "
                f"{len(submitted)} of {len(requests)} entries are on the cluster, the others "
                "may still arrive (find() them before submitting them again)",
                submitted,
            ) from exc

    def _reached(self, requests: Sequence[SlurmRequest]) -> list[list[Handle]]:
        """The handles of the leading requests :meth:`find` sees on the cluster."""
        found = self.find([job_id for r in requests for job_id in r.job_ids])
        reached = []
        for request in requests:
            handles = [found.get(job_id) for job_id in request.job_ids]
            if any(h is None for h in handles):
                break
            reached.append([h for h in handles if h is not None])
        return reached

    def _handles(self, request: SlurmRequest, job_id: str) -> list[Handle]:
        if request.array_size is None:
            return [Handle(self.name, self.cluster, job_id)]
        return [Handle(self.name, self.cluster, f"{job_id}_{i}") for i in range(request.array_size)]

    def _package(
        self, requests: Sequence[SlurmRequest], out_dir: Path
    ) -> tuple[dict[str, str], dict[str, str], dict[str, Path]]:
        """Package each distinct packager once.

        Returns:
            The remote directory linked as ``code`` by job directory (packagers with
            ``symlink_from_remote_dir``), the archive hash each other job directory gets its
            own ``code`` tree from, and the archives by hash.
        """
        remote_dirs: dict[str, str] = {}
        hashes: dict[str, str] = {}
        archives: dict[str, Path] = {}
        links: dict[str, str] = {}
        trees: dict[str, str] = {}
        source = self.source or Path.cwd()
        for request in requests:
            for packager_json, job_dir in request.code:
                if packager_json not in remote_dirs and packager_json not in hashes:
                    packager: Packager = nr_config.build(nr_config.loads_json(packager_json))
                    if packager.symlink_from_remote_dir:
                        remote_dirs[packager_json] = packager.symlink_from_remote_dir
                    else:
                        result = packager.package(source, out_dir / str(len(hashes)), "code")
                        if result is None:
                            raise BackendError(f"{type(packager).__name__} produced no archive")
                        archives[result.sha256] = result.archive
                        hashes[packager_json] = result.sha256
                if packager_json in remote_dirs:
                    links[job_dir] = remote_dirs[packager_json]
                else:
                    trees[job_dir] = hashes[packager_json]
        return links, trees, archives

    # -- status, find, logs, cancel -------------------------------------------------------------

    def _own(self, handle: Handle) -> bool:
        return (
            handle.backend == self.name
            and handle.cluster == self.cluster
            and _SLURM_JOB_ID.fullmatch(handle.job_id) is not None
        )

    def describe(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus | None]:
        """What Slurm and the exit markers say of every handle, from one remote command.

        The command (one per ~1,000 handles) runs sacct (and squeue, for jobs accounting has
        not recorded yet or when it is disabled), prints the exit markers and the job index.
        A job of another cluster, or one that none of them knows, is None.
        """
        result: dict[Handle, JobStatus | None] = dict.fromkeys(handles)
        own = {h.job_id: h for h in handles if self._own(h)}
        found: dict[str, JobStatus | None] = {}
        for ids in _chunks(list(own), ID_BUDGET // 4):  # each id is also a marker path
            found.update(parse_status(self._query(status_command(ids, self.root)).stdout, ids))
        result.update({handle: found[job_id] for job_id, handle in own.items()})
        return result

    def find(
        self, names: Sequence[str], *, lookback_days: int = FIND_LOOKBACK_DAYS
    ) -> dict[str, Handle]:
        """Find jobs by the spec job ids they carry, with one remote command (per ~1,000 ids).

        The Slurm job name ends with the job id; an array element is found through its
        array's list of element job ids and gets its ``<array job id>_<index>`` handle. The
        user's jobs known to ``squeue`` (live and recently ended) and to ``sacct`` are
        searched. When several jobs carry one id, the latest submission is returned.

        Args:
            names: Job ids (``JobSpec.job_id``).
            lookback_days: How far back ``sacct`` looks (jobs older than that, or purged
                from accounting, are not found).

        Raises:
            SubmitInFlightError: A submit to this root (a launcher's ``sbatch``, even one
                whose launcher was killed) was still running after ``SUBMIT_WAIT`` seconds.
        """
        found: dict[str, str] = {}
        for chunk in _chunks([n for n in dict.fromkeys(names) if findable(n)]):
            command = find_command(chunk, self.root, lookback_days=lookback_days)
            output = self._query(command).stdout
            if submits_in_flight(output):
                raise SubmitInFlightError(
                    f"a submit to {self.cluster} (under {self.root}) is still running after "
                    f"{SUBMIT_WAIT:g} s; its jobs may still arrive, so nothing can be called "
                    "never submitted yet: ask again once it has ended"
                )
            found.update(parse_find(output, chunk))
        return {name: Handle(self.name, self.cluster, job_id) for name, job_id in found.items()}

    def log_path(self, handle: Handle) -> str:
        """The batch script's output file of ``handle`` on the cluster (one lookup, cached).

        Raises:
            BackendError: The job index has no log information for the job.
        """
        path = self._log_paths.get(handle.job_id)
        if path is None:
            base = handle.job_id.partition("_")[0]
            info_file = f"{self.root}/{INDEX_DIR}/{base}/{LOG_INFO_FILE}"
            result = self._query(f"cat {shlex.quote(info_file)}")
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

    def _cancel_existing(self, handles: Sequence[Handle]) -> None:
        """``scancel`` the jobs in one command (array elements as index ranges, see below).

        Dependents of a cancelled job are cancelled by Slurm too: every script asks for
        ``--kill-on-invalid-dep=yes``.

        Raises:
            BackendError: scancel failed for a reason other than a job having ended.
        """
        ids = " ".join(shlex.quote(job_id) for job_id in scancel_ids(h.job_id for h in handles))
        result = self.tunnel.run(f"scancel {ids}", warn=True)
        errors = [
            line
            for line in result.stderr.splitlines()
            if line.strip() and not any(text in line for text in _ENDED)
        ]
        if not result.ok and errors:
            raise BackendError(f"scancel failed: {'; '.join(errors)}")
