"""DockerExecutor costs: overhead per container job, from submit to finish.

* ``script_overhead_ms``: median time of ``submit`` + ``wait`` of an inline ``true`` script,
  minus the median time of the same container run directly with the docker SDK
  (``containers.run(..., remove=True)``: create, start, wait, remove). The difference is what
  the backend adds: files, state, labels, exit markers, status polling and cleanup.
* ``partial_overhead_ms``: the same for a ``Partial`` (a no-op function) run by the in-job runner
  with the runner's packages mounted; its reference is ``python3 -c pass`` run directly.
* ``submit_ms``, ``status_ms``: median of ``submit`` alone and of one ``status`` call.

Needs an engine (``$DOCKER_HOST``, e.g. inside ``tools/testbed/run.sh``) and
``$NR_BENCH_DOCKER_IMAGE`` (default ``nr-testbed/python:3``); else returns ``{"skipped": reason}``.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TASK = "def noop() -> None:\n    pass\n"


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _direct(client: object, image: str, command: list[str], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        client.containers.run(image, command, remove=True, network_mode="none")  # type: ignore[attr-defined]
        samples.append(time.perf_counter() - start)
    return samples


def _measure(image: str, repeats: int, home: Path) -> dict[str, object]:
    import docker
    import nr_config
    import nrb_docker_task
    from nr_exec import BackendContext, backend_for
    from nr_exec.docker import DockerExecutor
    from nr_package import Packager

    client = docker.from_env()
    executor = DockerExecutor(container_image=image, network="none", packager=Packager())
    backend = backend_for(executor, context=BackendContext.default(home))
    results: dict[str, object] = {"image": image, "repeats": repeats}
    tasks = {
        "script": (nr_config.Script(inline="true"), ["/bin/sh", "-c", "true"]),
        "partial": (nr_config.Partial(nrb_docker_task.noop), ["python3", "-c", "pass"]),
    }
    submits: list[float] = []
    for kind, (task, command) in tasks.items():
        _direct(client, image, command, 1)  # warm-up
        direct = _direct(client, image, command, repeats)
        launched = []
        for _ in range(repeats + 1):
            spec = executor.to_job_spec(task, name=f"bench-{kind}")
            start = time.perf_counter()
            handle = backend.submit(backend.dryrun(spec))
            submitted = time.perf_counter()
            status = backend.wait([handle], timeout=120, interval=0.02)[handle]
            launched.append(time.perf_counter() - start)
            submits.append(submitted - start)
            if kind == "script" and status.exit_code != 0:
                raise RuntimeError(f"benchmark job failed: {status}")
        launched = launched[1:]  # the first one finds the runner's packages
        results[f"{kind}_direct_ms"] = _median_ms(direct)
        results[f"{kind}_launched_ms"] = _median_ms(launched)
        results[f"{kind}_overhead_ms"] = round(_median_ms(launched) - _median_ms(direct), 1)
    results["submit_ms"] = _median_ms(submits)
    handles = [backend.submit(backend.dryrun(executor.to_job_spec(tasks["script"][0])))]
    backend.wait(handles, timeout=120)
    status_samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        backend.status(handles)
        status_samples.append(time.perf_counter() - start)
    results["status_ms"] = _median_ms(status_samples)
    backend.close()
    client.close()
    return results


def run(quick: bool) -> dict[str, object]:
    try:
        import docker
    except ImportError:
        return {"skipped": "the docker SDK is not installed (pip install 'nr-exec[docker]')"}
    image = os.environ.get("NR_BENCH_DOCKER_IMAGE", "nr-testbed/python:3")
    try:
        probe = docker.from_env()
        probe.ping()
        probe.images.get(image)
        probe.close()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the engine means "skip"
        return {"skipped": f"no docker engine with image {image}: {exc}"}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        old_home, old_cwd = os.environ.get("NEMORUN_HOME"), Path.cwd()
        os.environ["NEMORUN_HOME"] = str(home)  # the default job directories of the specs
        (Path(tmp) / "nrb_docker_task.py").write_text(TASK)
        os.chdir(tmp)
        sys.path.insert(0, tmp)
        try:
            return _measure(image, 5 if quick else 20, home)
        finally:
            sys.path.remove(tmp)
            os.chdir(old_cwd)
            if old_home is None:
                os.environ.pop("NEMORUN_HOME", None)
            else:
                os.environ["NEMORUN_HOME"] = old_home


if __name__ == "__main__":
    import json

    print(json.dumps(run("--quick" in sys.argv), indent=2))
