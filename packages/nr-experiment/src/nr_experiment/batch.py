"""From the jobs one scheduling step submits to the entries of a backend batch.

Each job contributes one piece per submitted unit. Pieces become ``BatchEntry`` objects in
order (parents before children), an entry waiting for the entries of its in-batch parents.
With arrays on, single-task pieces of one shape and the same parents become job arrays.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nr_exec import Backend, BatchEntry, ExecError, JobSpec

from nr_experiment.job import BaseJob

__all__ = ["Piece", "RefusedPiecesError", "build_entries"]


@dataclass(frozen=True)
class Piece:
    """One unit of a job in a batch.

    Attributes:
        job: The job.
        unit: Index of the unit within the job (a group split into tasks has several).
        specs: The unit's specs (several for a group in one allocation).
        parents: Ids of jobs in the same batch this unit waits for.
        shape: Key of the unit's array shape, or None when it may not join an array.
    """

    job: BaseJob
    unit: int
    specs: Sequence[JobSpec]
    parents: tuple[str, ...] = ()
    shape: str | None = None


class RefusedPiecesError(Exception):
    """The backend refused the request of some pieces (``Backend.dryrun`` raised).

    Attributes:
        pieces: The pieces of the refused request.
        error: What the backend raised.
    """

    def __init__(self, pieces: Sequence[Piece], error: Exception) -> None:
        super().__init__(str(error))
        self.pieces = list(pieces)
        self.error = error


def _slots(pieces: Sequence[Piece], *, array: bool) -> list[list[Piece]]:
    """Pieces grouped into entries: same-shape pieces with the same parents share a slot."""
    slots: list[list[Piece]] = []
    arrays: dict[str, list[Piece]] = {}
    for piece in pieces:
        if not array or piece.shape is None:
            slots.append([piece])
            continue
        key = json.dumps([piece.shape, sorted(piece.parents)])
        members = arrays.get(key)
        if members is None:
            members = arrays[key] = []
            slots.append(members)  # placed where its first member is: after every parent
        members.append(piece)
    return slots


def build_entries(
    backend: "Backend[Any, Any]", pieces: Sequence[Piece], *, detach: bool, array: bool
) -> tuple[list[BatchEntry], list[list[Piece]]]:
    """Make the batch entries of ``pieces`` (in parents-first order) for ``backend``.

    Args:
        backend: The backend submitting the batch.
        pieces: The pieces, every in-batch parent before its children.
        detach: Whether the jobs must outlive this process.
        array: Merge same-shape single-task pieces into job arrays
            (``Backend.dryrun_array``), on a backend that has them (``capabilities.arrays``);
            on others the pieces stay separate jobs.

    Returns:
        The entries, and for each entry the pieces its handles belong to (one piece for a
        plain request, one per element for an array).

    Raises:
        ValueError: A piece waits for a job that is not in this batch.
        RefusedPiecesError: The backend refused a request (an unsupported feature, a bad
            setting); it names the pieces and holds the backend's error.
    """
    entries: list[BatchEntry] = []
    owners: list[list[Piece]] = []
    positions: dict[str, list[int]] = {}
    for slot in _slots(pieces, array=array and backend.capabilities.arrays):
        head = slot[0]
        missing = [p for p in head.parents if p not in positions]
        if missing:
            raise ValueError(f"job {head.job.id} waits for {missing[0]}, not in the same batch")
        after = tuple(sorted({pos for parent in head.parents for pos in positions[parent]}))
        try:
            if len(slot) > 1:
                requests = backend.dryrun_array([piece.specs[0] for piece in slot])
            else:
                requests = [backend.dryrun(head.specs, detach=detach)]
        except (ExecError, OSError) as error:
            raise RefusedPiecesError(slot, error) from error
        start = 0
        for request in requests:
            members = slot[start : start + len(request.specs)] if len(slot) > 1 else slot
            start += len(members)
            entries.append(BatchEntry(request, after))
            owners.append(members)
            for piece in members:
                positions.setdefault(piece.job.id, []).append(len(entries) - 1)
    return entries, owners
