"""Planning a step's jobs into batch entries, with and without job arrays."""

from collections.abc import Sequence
from pathlib import Path

import pytest
from nr_config import Script
from nr_exec import JobSpec, LocalExecutor
from nr_exec.testing import FakeBackend, FakeRequest
from nr_experiment import Experiment
from nr_experiment.batch import Piece, build_entries
from nr_experiment.job import Job


class _ChunkingBackend(FakeBackend):
    """A fake backend whose job arrays are chunked by two elements."""

    def dryrun_array(self, specs: Sequence[JobSpec]) -> list[FakeRequest]:
        return [
            FakeRequest(backend=self.name, specs=tuple(specs[i : i + 2]), detach=True)
            for i in range(0, len(specs), 2)
        ]


def _names(request: FakeRequest) -> str:
    return ",".join(spec.name for spec in request.specs)


def _piece(name: str, parents: tuple[str, ...] = (), shape: str | None = "s") -> Piece:
    job = Job(id=name, name=name, tasks=[], executors=[], job_dir=Path(name))
    spec = JobSpec(name=name, job_id=name, argv=("true",), job_dir=f"/j/{name}")
    return Piece(job, 0, [spec], parents, shape)


def test_without_arrays_one_entry_per_piece() -> None:
    pieces = [_piece("a"), _piece("b"), _piece("c", ("a", "b"))]
    entries, owners = build_entries(_ChunkingBackend(), pieces, detach=True, array=False)
    assert [_names(e.request) for e in entries] == ["a", "b", "c"]
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
    entries, owners = build_entries(_ChunkingBackend(), pieces, detach=True, array=True)
    assert [_names(e.request) for e in entries] == [
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
        build_entries(_ChunkingBackend(), [_piece("a", ("elsewhere",))], detach=True, array=False)


def test_run_with_arrays_on_a_backend_without_them_runs_separate_jobs(tmp_path: Path) -> None:
    with Experiment("no-arrays", executor=LocalExecutor(), base_dir=str(tmp_path)) as exp:
        for word in ("a", "b", "c"):
            exp.add(Script(inline=f"echo {word}"), name=word)
        exp.run(sequential=False, array=True)
    assert [job.state for job in exp.jobs] == ["SUCCEEDED"] * 3
    assert len({job.handle for job in exp.jobs}) == 3
