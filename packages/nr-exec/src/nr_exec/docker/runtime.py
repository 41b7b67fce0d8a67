"""The launcher's Python stack, mounted read-only into containers that run a ``Partial``.

``python -m nr_exec.runner`` needs ``nr_exec`` and ``nr_config`` (with pydantic, PyYAML, ...)
inside the container, and the saved copy of the launching script (``--main``) imports what the
script imports: ``nemo_run`` and the layers under it. Rather than requiring them in every
image, the backend bind-mounts the launcher's own copies of the workspace packages and of every
distribution they require (transitively, without extras), each at
``/opt/nr-exec/site/<name>``, and puts that directory on ``PYTHONPATH``. Compiled extensions
(pydantic-core, cffi) then need the image's Python to have the launcher's major.minor version,
which the backend checks at submit (:func:`runner_python`).
"""

import functools
import importlib.metadata
import importlib.util
import re
import sys

from nr_exec.docker.settings import RUNTIME_DIR

__all__ = ["WORKSPACE_PACKAGES", "runner_mounts", "runner_python"]

#: The monorepo's import packages (``nemo_run`` and its layers), shipped when installed.
#: Named explicitly: editable installs do not map them to their distributions.
WORKSPACE_PACKAGES = (
    "nemo_run",
    "nr_cli",
    "nr_config",
    "nr_exec",
    "nr_experiment",
    "nr_package",
    "nr_ray",
    "nr_tunnel",
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(roots: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        dist = _canonical(todo.pop())
        if dist in seen:
            continue
        seen.add(dist)
        try:
            requirements = importlib.metadata.requires(dist) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            match = _NAME.match(requirement)
            if match and "extra ==" not in requirement:
                todo.append(match.group())
    return seen


def _location(top: str) -> str | None:
    spec = importlib.util.find_spec(top)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return str(next(iter(spec.submodule_search_locations)))
    return spec.origin if spec.has_location else None


@functools.cache
def _runner_packages() -> tuple[str, ...]:
    installed = tuple(p for p in WORKSPACE_PACKAGES if importlib.util.find_spec(p) is not None)
    dists = _closure(tuple(_canonical(p) for p in installed))
    tops = set(installed)
    for top, owners in importlib.metadata.packages_distributions().items():
        if any(_canonical(owner) in dists for owner in owners):
            tops.add(top)
    tops -= set(sys.stdlib_module_names)
    return tuple(sorted(p for p in map(_location, tops) if p is not None))


def runner_mounts() -> list[str]:
    """Volume items (``host:container:ro``) mounting the launcher's stack in the container.

    They go under :data:`~nr_exec.docker.settings.RUNTIME_DIR`. The packages are the installed
    :data:`WORKSPACE_PACKAGES` and those of every distribution they require, transitively
    (extras excluded); they are found once per process, without importing them.
    """
    return [
        f"{path}:{RUNTIME_DIR}/{path.rstrip('/').rsplit('/', 1)[-1]}:ro"
        for path in _runner_packages()
    ]


def runner_python() -> str:
    """The launcher's Python ``major.minor``: the one an image needs to run the shipped stack."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"
