"""Planning a step's jobs into batch entries, with and without job arrays."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from nr_exec import Backend, Capabilities, Handle, JobSpec, JobStatus, Request
from nr_experiment.batch import Piece, build_entries
from nr_experiment.job import Job


@dataclass(frozen=True)
class _Request(Request):
    array: bool = False

    def materialize(self) -> str:
        return ",".join(s.name for s in self.specs)


class _ArrayBackend(Backend):
    """Makes requests without submitting; arrays are chunked by two elements."""

    name: ClassVar[str] = "fake"
    capabilities: ClassVar[Capabilities] = Capabilities(dependencies=True, arrays=True)

    def dryrun(self, specs: JobSpec | Sequence[JobSpec], *, detach: bool = False) -> _Request:
        group = (specs,) if isinstance(specs, JobSpec) else tuple(specs)
        return _Request(self.name, group, detach)

    def dryrun_array(self, specs: Sequence[JobSpec]) -> list[Request]:
        return [
            _Request(self.name, tuple(specs[i : i + 2]), True, True)
            for i in range(0, len(specs), 2)
        ]

    def submit(self, request: Request) -> Handle:
        raise NotImplementedError

    def status(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus]:
        raise NotImplementedError

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        raise NotImplementedError

    def cancel(self, handle: Handle) -> None:
        raise NotImplementedError


def _piece(name: str, parents: tuple[str, ...] = (), shape: str | None = "s") -> Piece:
    job = Job(id=name, name=name, tasks=[], executors=[], job_dir=Path(name))
    spec = JobSpec(name=name, job_id=name, argv=("true",), job_dir=f"/j/{name}")
    return Piece(job, 0, [spec], parents, shape)


def test_without_arrays_one_entry_per_piece() -> None:
    pieces = [_piece("a"), _piece("b"), _piece("c", ("a", "b"))]
    entries, owners = build_entries(_ArrayBackend(), pieces, detach=True, array=False)
    assert [e.request.materialize() for e in entries] == ["a", "b", "c"]
    assert [e.after for e in entries] == [(), (), (0, 1)]
    assert [[p.job.id for p in o] for o in owners] == [["a"], ["b"], ["c"]]


def test_arrays_group_by_shape_and_parents_and_chunk() -> None:
    pieces = [
        _piece("root", shape=None),
        _piece("e0"),
        _piece("e1"),
        _piece("x0", shape="other"),
        _piece("e2"),
        _piece("d0", ("root",)),
        _piece("d1", ("root",)),
        _piece("child", ("e2",), shape=None),
    ]
    entries, owners = build_entries(_ArrayBackend(), pieces, detach=True, array=True)
    assert [e.request.materialize() for e in entries] == [
        "root",
        "e0,e1",
        "e2",
        "x0",
        "d0,d1",
        "child",
    ]
    # e0..e2 form one array, in two chunks; the child waits for e2's chunk only.
    assert [e.after for e in entries] == [(), (), (), (), (0,), (2,)]
    assert [[p.job.id for p in o] for o in owners][:3] == [["root"], ["e0", "e1"], ["e2"]]


def test_waiting_for_a_job_outside_the_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="waits for elsewhere"):
        build_entries(_ArrayBackend(), [_piece("a", ("elsewhere",))], detach=True, array=False)
