"""Which ``sbatch`` options exist: the cluster's own list, or a built-in fallback.

Any ``sbatch`` long option may be passed through ``SlurmExecutor.additional_parameters``;
names are checked against what ``sbatch`` accepts instead of a list of supported fields. The
backend reads the cluster's ``sbatch --help`` once per tunnel and process (this includes
options added by SPANK plugins such as Pyxis) and adds :data:`FALLBACK_OPTIONS`, the long
options of recent ``sbatch`` versions (``--help`` does not list all of them). Without a
cluster (dry-runs), the fallback alone is used.
"""

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "DEFAULT_MAX_ARRAY_SIZE",
    "FALLBACK_OPTIONS",
    "ClusterInfo",
    "check_options",
    "option_name",
    "parse_help",
    "parse_max_array_size",
]

#: Slurm's default ``MaxArraySize``, used when the cluster's value is unknown.
DEFAULT_MAX_ARRAY_SIZE = 1001

#: Long options of ``sbatch`` (without ``--``).
FALLBACK_OPTIONS: frozenset[str] = frozenset(
    [
        "account",
        "acctg-freq",
        "array",
        "batch",
        "bb",
        "bbf",
        "begin",
        "chdir",
        "cluster-constraint",
        "clusters",
        "comment",
        "constraint",
        "container",
        "container-id",
        "contiguous",
        "core-spec",
        "cores-per-socket",
        "cpu-freq",
        "cpus-per-gpu",
        "cpus-per-task",
        "deadline",
        "delay-boot",
        "dependency",
        "distribution",
        "error",
        "exclude",
        "exclusive",
        "export",
        "export-file",
        "extra-node-info",
        "get-user-env",
        "gid",
        "gpu-bind",
        "gpu-freq",
        "gpus",
        "gpus-per-node",
        "gpus-per-socket",
        "gpus-per-task",
        "gres",
        "gres-flags",
        "hint",
        "hold",
        "ignore-pbs",
        "input",
        "job-name",
        "kill-on-invalid-dep",
        "licenses",
        "mail-type",
        "mail-user",
        "mcs-label",
        "mem",
        "mem-bind",
        "mem-per-cpu",
        "mem-per-gpu",
        "mincpus",
        "network",
        "nice",
        "no-kill",
        "no-requeue",
        "nodefile",
        "nodelist",
        "nodes",
        "ntasks",
        "ntasks-per-core",
        "ntasks-per-gpu",
        "ntasks-per-node",
        "ntasks-per-socket",
        "open-mode",
        "output",
        "overcommit",
        "oversubscribe",
        "parsable",
        "partition",
        "power",
        "prefer",
        "priority",
        "profile",
        "propagate",
        "qos",
        "quiet",
        "reboot",
        "requeue",
        "reservation",
        "segment",
        "signal",
        "sockets-per-node",
        "spread-job",
        "switches",
        "test-only",
        "thread-spec",
        "threads-per-core",
        "time",
        "time-min",
        "tmp",
        "tres-bind",
        "tres-per-task",
        "uid",
        "use-min-nodes",
        "verbose",
        "wait",
        "wait-all-nodes",
        "wckey",
        "wrap",
    ]
)

_HELP_OPTION = re.compile(r"^\s+(?:-\w,\s+)?--([a-z][a-z0-9-]*)", re.MULTILINE)
_MAX_ARRAY = re.compile(r"^MaxArraySize\s*=\s*(\d+)", re.MULTILINE)


def option_name(key: str) -> str:
    """Normalize ``cpus_per_task``, ``--cpus-per-task`` or ``cpus-per-task`` to the last form."""
    return key.strip().lstrip("-").replace("_", "-").lower()


def parse_help(text: str) -> frozenset[str]:
    """Return the long option names listed by ``sbatch --help`` (or ``--usage``)."""
    return frozenset(_HELP_OPTION.findall(text))


def parse_max_array_size(text: str) -> int:
    """Return ``MaxArraySize`` from ``scontrol show config`` output (the default if absent)."""
    match = _MAX_ARRAY.search(text)
    return int(match[1]) if match else DEFAULT_MAX_ARRAY_SIZE


def check_options(names: Iterable[str], known: frozenset[str], *, field: str) -> None:
    """Check that every option name (already normalized) is an ``sbatch`` long option.

    Raises:
        ValueError: The message names ``field``, the unknown option and close matches.
    """
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=3)
            hint = f"; did you mean {', '.join('--' + c for c in close)}?" if close else ""
            raise ValueError(f"{field}: --{name} is not an sbatch option{hint}")


@dataclass(frozen=True)
class ClusterInfo:
    """What the backend learned about a cluster (once per tunnel and process).

    Attributes:
        options: Long options ``sbatch`` accepts there (the fallback list included).
        max_array_size: The cluster's ``MaxArraySize``.
    """

    options: frozenset[str] = FALLBACK_OPTIONS
    max_array_size: int = DEFAULT_MAX_ARRAY_SIZE

    @classmethod
    def parse(cls, sbatch_help: str, config: str) -> "ClusterInfo":
        """Build from ``sbatch --help`` and ``scontrol show config`` output."""
        return cls(
            options=FALLBACK_OPTIONS | parse_help(sbatch_help),
            max_array_size=parse_max_array_size(config),
        )
