"""The dependency graph of an experiment's jobs: checks, launch order, dependents."""

from collections.abc import Iterable, Mapping, Sequence

from nr_experiment.errors import DependencyError

__all__ = ["check_new_dependencies", "dependents_closure", "topological_order"]


def check_new_dependencies(job: str, dependencies: Iterable[str], known: Iterable[str]) -> None:
    """Refuse dependencies of a new job that name no existing job.

    A new job may only depend on jobs added before it, so adding jobs one by one can never
    create a cycle.

    Args:
        job: The new job's id.
        dependencies: The ids it depends on.
        known: The ids of the jobs already added.

    Raises:
        DependencyError: A dependency is unknown (or is the job itself).
    """
    existing = set(known)
    for dep in dependencies:
        if dep == job:
            raise DependencyError(job, "a job cannot depend on itself")
        if dep not in existing:
            raise DependencyError(
                job, f"unknown dependency {dep!r}; add it first (known: {sorted(existing)})"
            )


def topological_order(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """Order jobs so that every job comes after its dependencies (stable: insertion order).

    Args:
        graph: ``{job id: [ids it depends on]}``, in the order jobs were added.

    Returns:
        The job ids, parents first.

    Raises:
        DependencyError: A dependency is unknown, or the graph has a cycle (named in the error).
    """
    for job, deps in graph.items():
        for dep in deps:
            if dep not in graph:
                raise DependencyError(job, f"unknown dependency {dep!r}")
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(job: str, path: list[str]) -> None:
        if state.get(job) == 2:
            return
        if state.get(job) == 1:
            cycle = [*path[path.index(job) :], job]
            raise DependencyError(job, "dependency cycle " + " -> ".join(cycle))
        state[job] = 1
        for dep in graph[job]:
            visit(dep, [*path, job])
        state[job] = 2
        order.append(job)

    for job in graph:
        visit(job, [])
    return order


def dependents_closure(graph: Mapping[str, Sequence[str]], roots: Iterable[str]) -> list[str]:
    """Return ``roots`` and every job that depends on them, directly or not.

    Args:
        graph: ``{job id: [ids it depends on]}``.
        roots: The starting job ids.

    Returns:
        The ids, in the graph's order.
    """
    selected = set(roots)
    changed = True
    while changed:
        changed = False
        for job, deps in graph.items():
            if job not in selected and selected.intersection(deps):
                selected.add(job)
                changed = True
    return [job for job in graph if job in selected]
