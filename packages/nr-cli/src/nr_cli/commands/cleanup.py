"""``experiment rm`` and ``experiment gc``: delete experiments whose jobs cannot run any more.

Both go by the states the store last recorded; an experiment with a job that may still run
(SUBMITTED, PENDING, RUNNING, UNKNOWN) is kept unless ``rm --force``.
"""

from __future__ import annotations

import argparse
import time

from nr_exec.states import JobState
from nr_experiment.store import Store

from nr_cli.commands.common import LIVE_STATES
from nr_cli.errors import CLIError
from nr_cli.output import EXIT_FAILED, EXIT_OK, print_error, print_json
from nr_cli.when import parse_age

__all__ = ["cmd_gc", "cmd_rm"]

_LIVE = frozenset(state.value for state in LIVE_STATES)


def cmd_rm(args: argparse.Namespace) -> int:
    """``experiment rm ID... [--force]``: exit 1 when one was kept (a job may still run)."""
    store = Store()
    refs = []
    for text in args.ids:
        ref = store.find(text)
        if ref.id != text:
            raise CLIError(
                f"rm takes experiment ids, not titles: {text!r}",
                argument=text,
                hint=f"the newest with that title is {ref.id}",
            )
        refs.append(ref)
    deleted: list[str] = []
    kept: list[dict[str, str]] = []
    for ref in refs:
        live = sorted({j.state.value for j in store.jobs(ref.id)} & _LIVE)
        if live and not args.force:
            kept.append({"id": ref.id, "reason": f"a job is {live[0]} (use --force)"})
            continue
        store.delete_experiment(ref.id)
        deleted.append(ref.id)
    if args.json:
        print_json({"deleted": deleted, "kept": kept})
    else:
        for experiment_id in deleted:
            print(f"deleted {experiment_id}")
        for item in kept:
            message = f"kept {item['id']}: {item['reason']}"
            print_error("ExperimentStateError", message, as_json=False)
    return EXIT_FAILED if kept else EXIT_OK


def cmd_gc(args: argparse.Namespace) -> int:
    """``experiment gc [--older-than AGE] [--unlaunched] [--dryrun-only] [--dry-run]``.

    Deletes the experiments that match every criterion given and whose jobs all ended (or
    never launched); at least one criterion is needed. ``--unlaunched``: no job was ever
    submitted (dry-run-only experiments included); ``--dryrun-only``: kept by a dry run and
    never launched.
    """
    if args.older_than is None and not args.unlaunched and not args.dryrun_only:
        raise CLIError(
            "say what to collect",
            argument="gc",
            hint="give --older-than AGE, --unlaunched and/or --dryrun-only",
        )
    cutoff = None
    if args.older_than is not None:
        cutoff = time.time() - parse_age(args.older_than, option="--older-than")
    store = Store()
    chosen = [
        s.id
        for s in store.list_experiments()
        if not set(s.states) & _LIVE
        and (cutoff is None or s.created < cutoff)
        and (not args.unlaunched or set(s.states) <= {JobState.UNSUBMITTED.value})
        and (not args.dryrun_only or s.dryrun)
    ]
    if not args.dry_run:
        for experiment_id in chosen:
            store.delete_experiment(experiment_id)
    if args.json:
        deleted, would_delete = ([], chosen) if args.dry_run else (chosen, [])
        print_json({"deleted": deleted, "would_delete": would_delete, "dry_run": args.dry_run})
    else:
        verb = "would delete" if args.dry_run else "deleted"
        for experiment_id in chosen:
            print(f"{verb} {experiment_id}")
        if not chosen:
            print("nothing to collect")
    return EXIT_OK
