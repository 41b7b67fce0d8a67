"""The cluster a Slurm backend talks to: its name, how to reach it, what was learned about it.

A backend is rebuilt in any process from its connection data (``BackendContext.connection``),
JSON that :func:`connection_data` makes from a tunnel and the remote root::

    {"tunnel": "local", "root": "/home/me/.run/slurm"}
    {"tunnel": "ssh", "root": "/lustre/me/nemo_run", "ssh": {"host": ..., "user": ..., ...}}

The ``ssh`` part holds the ``SSHTunnel`` settings (secrets are never among them: a passphrase
or password is only named by its environment variable).
"""

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

from nr_tunnel import LocalTunnel, SSHTunnel

from nr_exec.errors import BackendError
from nr_exec.slurm.options import ClusterInfo

__all__ = [
    "LOCAL_CLUSTER",
    "cluster_name",
    "connection_data",
    "known_cluster",
    "learn_cluster",
    "tunnel_from_connection",
]

#: The cluster part of the handles of jobs submitted through a ``LocalTunnel``.
LOCAL_CLUSTER = "local"

_KEYS = frozenset({"tunnel", "root", "ssh"})
_CLUSTERS: dict[str, ClusterInfo] = {}


def cluster_name(tunnel: LocalTunnel | SSHTunnel) -> str:
    """The handle's cluster part: ``user@host[:port]`` over SSH, ``local`` otherwise."""
    if isinstance(tunnel, SSHTunnel):
        port = "" if tunnel.effective_port == 22 else f":{tunnel.effective_port}"
        return f"{tunnel.user}@{tunnel.host}{port}"
    return LOCAL_CLUSTER


@functools.cache
def _ssh_settings() -> tuple[str, ...]:
    """The ``SSHTunnel`` fields saved as connection data (asked for every job of a batch)."""
    return tuple(f.name for f in dataclasses.fields(SSHTunnel) if f.init and f.name != "job_dir")


def connection_data(tunnel: LocalTunnel | SSHTunnel, root: str) -> dict[str, Any]:
    """JSON data from which :func:`tunnel_from_connection` rebuilds ``tunnel`` on ``root``."""
    if isinstance(tunnel, SSHTunnel):
        ssh = {name: getattr(tunnel, name) for name in _ssh_settings()}
        return {"tunnel": "ssh", "root": root, "ssh": ssh}
    return {"tunnel": "local", "root": root}


def tunnel_from_connection(data: Mapping[str, Any]) -> LocalTunnel | SSHTunnel | None:
    """Rebuild the tunnel of :func:`connection_data` output (None for empty data).

    The tunnel's ``job_dir`` is the saved remote root.

    Raises:
        BackendError: The data is not Slurm connection data; the message says what is wrong.
    """
    if not data:
        return None
    unknown = sorted(set(data) - _KEYS)
    kind, root = data.get("tunnel"), data.get("root")
    if unknown or kind not in ("local", "ssh") or not isinstance(root, str) or not root:
        raise BackendError(
            f"not Slurm connection data: {dict(data)!r} (expected {{'tunnel': 'local' or "
            "'ssh', 'root': <remote root>, 'ssh': <SSHTunnel settings, for 'ssh'>}})"
        )
    if kind == "local":
        return LocalTunnel(job_dir=root)
    settings = data.get("ssh")
    if not isinstance(settings, Mapping):
        raise BackendError("Slurm connection data of an SSH tunnel needs its 'ssh' settings")
    names = {f.name for f in dataclasses.fields(SSHTunnel) if f.init} - {"job_dir"}
    wrong = sorted(set(settings) - names)
    if wrong:
        raise BackendError(
            f"SSHTunnel has no setting {', '.join(map(repr, wrong))}; "
            f"known: {', '.join(sorted(names))}"
        )
    try:
        return SSHTunnel(**settings, job_dir=root)
    except (TypeError, ValueError) as exc:
        raise BackendError(
            f"cannot rebuild the SSH tunnel from {dict(settings)!r}: {exc}"
        ) from None


def known_cluster(tunnel: LocalTunnel | SSHTunnel) -> ClusterInfo | None:
    """What was learned about the tunnel's cluster in this process, if anything."""
    return _CLUSTERS.get(tunnel.key)


def learn_cluster(tunnel: LocalTunnel | SSHTunnel, sbatch_help: str, config: str) -> ClusterInfo:
    """Remember what ``sbatch --help`` and ``scontrol show config`` said on this cluster."""
    info = _CLUSTERS[tunnel.key] = ClusterInfo.parse(sbatch_help, config)
    return info
