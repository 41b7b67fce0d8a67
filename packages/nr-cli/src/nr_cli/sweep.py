"""Hydra-style sweeps: with ``--multirun``/``-m``, ``key=a,b`` runs one job per combination.

A value with commas outside brackets and quotes (``lr=0.1,0.01``) lists the choices of one key;
several swept keys make the cartesian product, the last key varying fastest (Hydra's order).
``x=[1,2]`` stays one list value, ``s='a,b'`` one string; without ``-m`` nothing is split.

With an executor the combinations are the jobs of one experiment (job names say the combination,
``lr=0.1,bs=32``), run with ``array=True`` when every executor's backend has job arrays, so that
Slurm submits the same-shape jobs as one array; ``--dryrun`` shows every job. Without an executor
they run one after the other in this process.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from collections.abc import Sequence
from typing import Any

from nr_exec.describe import describe

from nr_cli.command import (
    Invocation,
    JobsFailedError,
    check_required,
    confirm,
    invocation_from_options,
)
from nr_cli.entrypoints import Entrypoint
from nr_cli.errors import CLIError
from nr_cli.grammar import Assignment, parse_token, split_top_level
from nr_cli.options import Options

__all__ = ["Combination", "expand", "run_sweep"]

_REFUSED = {
    "lazy": "--lazy records one command",
    "repl": "--repl opens one task",
    "to_yaml": "--to-yaml exports one task",
    "to_toml": "--to-toml exports one task",
    "to_json": "--to-json exports one task",
}
_MAX_NAME = 200


@dataclasses.dataclass(frozen=True)
class Combination:
    """One point of a sweep.

    Attributes:
        label: The swept keys and their values, ``lr=0.1,bs=32`` (the job's name).
        overrides: The command's override tokens with one value per swept key.
    """

    label: str
    overrides: tuple[str, ...]


def _choices(text: str) -> tuple[Assignment, list[str]] | None:
    token = parse_token(text)
    if not isinstance(token, Assignment) or token.op != "=" or token.prefix == "~":
        return None
    items = split_top_level(token.value)
    return (token, items) if len(items) > 1 else None


def expand(overrides: Sequence[str]) -> list[Combination]:
    """Every combination of the swept keys in `overrides` (one, unchanged, when none sweeps).

    Args:
        overrides: Override tokens such as ``["lr=0.1,0.01", "bs=32,64", "epochs=3"]``.

    Returns:
        The combinations, in order (``lr=0.1,bs=32``, ``lr=0.1,bs=64``, ``lr=0.01,bs=32``, ...).

    Raises:
        GrammarError: Unbalanced brackets or quotes in a value.
    """
    found = [(index, _choices(text)) for index, text in enumerate(overrides)]
    swept = [(index, choice) for index, choice in found if choice is not None]
    if not swept:
        return [Combination("", tuple(overrides))]
    combinations = []
    for picks in itertools.product(*(items for _, (_, items) in swept)):
        tokens = list(overrides)
        parts = []
        for (index, (token, _)), value in zip(swept, picks, strict=True):
            tokens[index] = f"{token.prefix}{token.path}={value}"
            parts.append(f"{token.path}={value}")
        combinations.append(Combination(",".join(parts), tuple(tokens)))
    return combinations


def _job_name(label: str, index: int, entrypoint: str) -> str:
    name = label.replace("/", "_")
    return name if 0 < len(name.encode()) <= _MAX_NAME else f"{entrypoint}_{index}"


def _invocations(point: Entrypoint, options: Options) -> list[tuple[str, Invocation]]:
    for field, why in _REFUSED.items():
        if getattr(options, field):
            raise CLIError(
                f"{why}; it cannot be combined with --multirun",
                argument=f"--{field.replace('_', '-')}",
                hint="drop one of them",
            )
    if point.type == "experiment":
        raise CLIError(
            f"{point.name} builds its own experiment; --multirun sweeps task entrypoints",
            argument="--multirun",
        )
    made = []
    for index, combination in enumerate(expand(options.overrides)):
        copy = dataclasses.replace(
            options,
            overrides=list(combination.overrides),
            factories=list(options.factories),
            yaml=list(options.yaml),
        )
        invocation = invocation_from_options(point, copy)
        check_required(invocation)
        made.append((_job_name(combination.label, index, point.name), invocation))
    return made


def _in_process(jobs: Sequence[tuple[str, Invocation]], *, dryrun: bool) -> list[Any]:
    from nr_config import build  # noqa: PLC0415

    results = []
    for number, (name, invocation) in enumerate(jobs, start=1):
        print(f"[{number}/{len(jobs)}] {name}: {invocation.task!r}", file=sys.stderr)
        if not dryrun:
            results.append(build(invocation.task)())
    return results


def _failure(experiment: Any) -> JobsFailedError | None:
    from nr_cli.commands.common import FAILED_STATES  # noqa: PLC0415

    failed = [job for job in experiment.jobs if job.state in FAILED_STATES]
    if not failed:
        return None
    shown = ", ".join(f"{job.id} {job.state.value}" for job in failed)
    code = failed[0].exit_code if len(experiment.jobs) == 1 else None
    return JobsFailedError(
        f"experiment {experiment.id}: {len(failed)} of {len(experiment.jobs)} jobs did not "
        f"succeed ({shown}); inspect with nemorun experiment status {experiment.id}",
        code if isinstance(code, int) and 0 < code < 256 else 1,
    )


def run_sweep(point: Entrypoint, options: Options) -> Any:
    """Run every combination of a ``-m`` command line (see the module docstring).

    Args:
        point: The entrypoint.
        options: The parsed options (``options.multirun`` set).

    Returns:
        The functions' results (in-process sweeps), the experiment (executor sweeps), or None
        (dry runs).

    Raises:
        CLIError: A usage error in any combination (nothing runs then).
        LaunchDeclined: The launch was not confirmed.
        JobsFailedError: A job of an attached sweep did not succeed.
    """
    jobs = _invocations(point, options)
    first = jobs[0][1].context
    executors = [invocation.context.executor for _, invocation in jobs]
    if all(executor is None for executor in executors):
        results = _in_process(jobs, dryrun=first.dryrun)
        return None if first.dryrun else results
    if any(executor is None for executor in executors):
        raise CLIError("some combinations have an executor and some not", argument="run.executor")
    for name, invocation in jobs:
        print(f"{name}: {invocation.task!r}  executor: {describe(invocation.context.executor)}")
    confirm(jobs[0][1])
    from nr_experiment import Experiment  # noqa: PLC0415 - the experiment layer is heavy

    with Experiment(first.name or point.name, executor=executors[0]) as experiment:
        for name, invocation in jobs:
            context = invocation.context
            experiment.add(
                invocation.task,
                executor=context.executor,
                name=name,
                plugins=context.plugins or None,
                tail_logs=context.tail_logs,
            )
        if first.dryrun:
            experiment.dryrun()
            return None
        arrays = not first.direct and all(
            e is not None and e.capabilities().arrays for e in executors
        )
        experiment.run(
            detach=first.detach, direct=first.direct, tail_logs=first.tail_logs, array=arrays
        )
    failure = None if first.detach else _failure(experiment)
    if failure is not None:
        raise failure
    return experiment
