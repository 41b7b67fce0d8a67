"""Whether local Partial jobs are forked by a fork server (``NEMORUN_LOCAL_FORK_SERVER``).

``1`` (the default): a local job that runs one ``Partial`` without supervision (not detached,
one task, no retries) is forked by a preloaded server (:mod:`nr_exec.local.forkserver`) where
that is safe, and spawned otherwise; the reason is logged at debug level by
:mod:`nr_exec.local.forking`. ``0``: every local job is spawned as a fresh interpreter
(``python -m nr_exec.runner``).

The default comes from the Partial sweep benchmarks (``local_partial_100`` and
``local_partial_1000``, which run both paths) on 2 shared cores at load 7-9, each figure
beside the floor measured in the same run. 1,000 jobs end to end: forked 8.3 s, spawned
19.2 s; floor: 1,000 ``python -c "import mod; mod.f()"`` one per CPU 6.0 s, all at once
9.4 s. The jobs' CPU (children and server): forked 4.9 ms per job, spawned 22.0 ms (a bare
interpreter start alone is 10.5 ms). 100 jobs: forked 1.18 s, spawned 2.04 s, floor 1.6 s
(one per CPU). Earlier, at load 3: 1,000 jobs forked 7.3 s against spawned 18.1 s. Later
(records created in one write, no ready round trip, at load 3-5): 1,000 jobs forked 5.4 s,
spawned 15.5 s, floor one per CPU 5.0 s; 100 jobs forked 0.57 s, floor 0.49 s.

A forked job differs from a spawned one only where a fork must: its parent is the server,
``/proc/<pid>/environ`` shows the server's environment (the job is found by its
``local.json``, written before its task runs), the modules the server preloaded are already
imported, and every job shares the server's string hash seed. At its end the job's own
modules are finalized (atexit, ``__del__``, files left open are flushed) but the server's
are not torn down.
"""

import os

from nr_exec.constants import EnvVar

__all__ = ["DEFAULT_FORK_SERVER", "FORK_SERVER_ENV", "fork_server_enabled"]

#: The variable that chooses: ``1`` (fork server) or ``0`` (spawn).
FORK_SERVER_ENV = EnvVar.LOCAL_FORK_SERVER.value

#: Whether the fork server is used when ``NEMORUN_LOCAL_FORK_SERVER`` is not set.
DEFAULT_FORK_SERVER = True

_VALUES = {"1": True, "0": False}


def fork_server_enabled() -> bool:
    """Whether local Partial jobs may be forked by a fork server.

    Raises:
        ValueError: ``NEMORUN_LOCAL_FORK_SERVER`` is set to something other than ``1`` or ``0``.
    """
    text = os.environ.get(FORK_SERVER_ENV, "").strip()
    if not text:
        return DEFAULT_FORK_SERVER
    try:
        return _VALUES[text]
    except KeyError:
        raise ValueError(
            f"{FORK_SERVER_ENV} must be 1 (fork local Partial jobs from a fork server) or 0 "
            f"(spawn every job), not {text!r}"
        ) from None
