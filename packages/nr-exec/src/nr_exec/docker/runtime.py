"""The runner's Python packages, mounted read-only into containers that run a ``Partial``.

``python -m nr_exec.runner`` needs ``nr_exec`` and ``nr_config`` (with pydantic, PyYAML, ...)
inside the container. Rather than requiring them in every image, the backend bind-mounts the
launcher's own copies of exactly the packages the runner imports, each at
``/opt/nr-exec/site/<name>``, and puts that directory on ``PYTHONPATH``. Compiled extensions
(pydantic-core) then need the image's Python to have the launcher's minor version.
"""

import functools
import importlib.metadata
import importlib.util
import re
import sys

from nr_exec.docker.settings import RUNTIME_DIR

__all__ = ["runner_mounts"]

#: The distribution whose requirements (transitively, without extras) the runner needs.
_ROOT_DIST = "nr-config"
#: The runner's own packages (nr-exec's other requirements are not needed).
#: Named explicitly: editable installs do not map them to their distributions.
_OWN = ("nr_exec", "nr_config")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(root: str) -> set[str]:
    seen: set[str] = set()
    todo = [root]
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
    dists = _closure(_ROOT_DIST)
    tops = set(_OWN)
    for top, owners in importlib.metadata.packages_distributions().items():
        if any(_canonical(owner) in dists for owner in owners):
            tops.add(top)
    tops -= set(sys.stdlib_module_names)
    return tuple(sorted(p for p in map(_location, tops) if p is not None))


def runner_mounts() -> list[str]:
    """Volume items (``host:container:ro``) mounting the runner's packages in the container.

    They go under :data:`~nr_exec.docker.settings.RUNTIME_DIR`. The packages are ``nr_exec``,
    ``nr_config`` and those of the distributions ``nr-config`` requires, transitively; they are
    found once per process, without importing them.
    """
    return [
        f"{path}:{RUNTIME_DIR}/{path.rstrip('/').rsplit('/', 1)[-1]}:ro"
        for path in _runner_packages()
    ]
