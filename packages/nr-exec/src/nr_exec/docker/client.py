"""The only module touching the docker SDK (imported lazily, the ``docker`` extra).

The SDK is untyped; its values are turned into the typed records below before they leave this
module, and its errors into :class:`~nr_exec.errors.BackendError`.
"""

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nr_exec.constants import EnvVar
from nr_exec.docker.naming import DEFAULT_ENGINE_URL
from nr_exec.errors import BackendError
from nr_exec.extras import require_extra

__all__ = [
    "PROBE_LABEL",
    "PYTHON_PROBE",
    "ContainerInfo",
    "EngineClient",
    "ExitInfo",
    "accepted_create_kwargs",
]

_CREATE_ATTEMPTS = 3
#: What :meth:`EngineClient.python_version` runs in the image (prints ``major.minor``).
PYTHON_PROBE = ("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])")
#: The label of the short-lived probe containers (removed as soon as they end).
PROBE_LABEL = "nemo-run/probe"


def _sdk() -> Any:
    return require_extra("docker", "docker", feature="the docker backend")


def accepted_create_kwargs() -> frozenset[str]:
    """Keyword names the SDK's ``containers.create`` accepts.

    Raises:
        MissingExtraError: The docker SDK is not installed (the ``docker`` extra).
    """
    _sdk()
    from docker.models import containers  # type: ignore[import-untyped]  # noqa: PLC0415

    return frozenset((*containers.RUN_CREATE_KWARGS, *containers.RUN_HOST_CONFIG_KWARGS))


@dataclass(frozen=True)
class ContainerInfo:
    """A container as listed by the engine.

    Attributes:
        id: Container id.
        name: Container name.
        state: Engine state (``created``, ``running``, ``exited``, ...).
        labels: The container's labels.
    """

    id: str
    name: str
    state: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ExitInfo:
    """How a container ended, from ``inspect``.

    Attributes:
        exit_code: The main process's exit code.
        oom_killed: Whether the kernel's OOM killer ended it.
        restarting: Whether the engine is restarting it, or will (an on-failure restart
            policy with retries left).
        restart_count: How many times the engine restarted it.
        error: The engine's error message (failed start), if any.
    """

    exit_code: int
    oom_killed: bool
    restarting: bool
    restart_count: int
    error: str


class EngineClient:
    """A connection to one engine.

    Args:
        docker_host: Engine URL; None reads ``$DOCKER_HOST`` (and the TLS variables), else the
            default socket.
        timeout: Seconds to wait for an API answer.

    Raises:
        MissingExtraError: The docker SDK is not installed.
        BackendError: The engine cannot be reached.
    """

    def __init__(self, docker_host: str | None = None, *, timeout: float = 120.0) -> None:
        self._docker = _sdk()
        #: The engine's URL as configured (``docker_host``, else ``$DOCKER_HOST``, else the
        #: default socket), for messages and names.
        self.url = docker_host or os.environ.get(EnvVar.DOCKER_HOST.value) or DEFAULT_ENGINE_URL
        try:
            if docker_host is None:
                self._client = self._docker.from_env(timeout=int(timeout))
            else:
                self._client = self._docker.DockerClient(base_url=docker_host, timeout=int(timeout))
        except self._docker.errors.DockerException as exc:
            raise BackendError(f"cannot reach the docker engine at {self.url}: {exc}") from exc

    def _fail(self, what: str, exc: Exception) -> BackendError:
        return BackendError(f"docker engine {self.url}: {what} failed: {exc}")

    def create(
        self, arguments: Mapping[str, object], *, name: str, rename: Callable[[], str]
    ) -> str:
        """Create a container (not started); return its name.

        ``rename()`` gives a fresh name if the engine reports a name conflict (it retries a
        few times).

        Raises:
            BackendError: The engine refused to create it.
        """
        errors = self._docker.errors
        for _ in range(_CREATE_ATTEMPTS):
            try:
                self._client.containers.create(name=name, **arguments)
            except errors.APIError as exc:
                if exc.status_code != 409:  # HTTP conflict: the name is taken
                    raise self._fail(f"creating container {name}", exc) from exc
                name = rename()
            except (errors.DockerException, TypeError) as exc:
                raise self._fail(f"creating container {name}", exc) from exc
            else:
                return name
        raise BackendError(f"docker engine {self.url}: container names keep clashing")

    def start(self, container: str) -> None:
        """Start a created container.

        Raises:
            BackendError: The engine could not start it.
        """
        try:
            self._client.api.start(container)
        except self._docker.errors.DockerException as exc:
            raise self._fail(f"starting container {container}", exc) from exc

    def list(self, label_filters: Sequence[str]) -> list[ContainerInfo]:
        """List containers (running or not) carrying every one of ``label_filters``."""
        try:
            found = self._client.containers.list(
                all=True, sparse=True, filters={"label": list(label_filters)}
            )
        except self._docker.errors.DockerException as exc:
            raise self._fail("listing containers", exc) from exc
        infos = []
        for container in found:
            attrs = container.attrs
            names = attrs.get("Names") or [attrs.get("Id", "")]
            state = attrs.get("State", "")
            if isinstance(state, dict):  # some engines return the full state object
                state = state.get("Status", "")
            infos.append(
                ContainerInfo(
                    id=str(attrs.get("Id", "")),
                    name=str(names[0]).lstrip("/"),
                    state=str(state).lower(),
                    labels={str(k): str(v) for k, v in (attrs.get("Labels") or {}).items()},
                )
            )
        return infos

    def exit_info(self, container: str) -> ExitInfo | None:
        """Inspect how ``container`` ended; None if it no longer exists."""
        try:
            attrs = self._client.api.inspect_container(container)
        except self._docker.errors.NotFound:
            return None
        except self._docker.errors.DockerException as exc:
            raise self._fail(f"inspecting {container}", exc) from exc
        state = attrs.get("State") or {}
        exit_code = int(state.get("ExitCode") or 0)
        restarts = int(attrs.get("RestartCount") or 0)
        policy = (attrs.get("HostConfig") or {}).get("RestartPolicy") or {}
        # Between an exit and its restart, Podman (unlike Docker) does not say "restarting":
        # an on-failure policy with retries left means the engine will restart it.
        retry_left = (
            policy.get("Name") == "on-failure"
            and exit_code != 0
            and restarts < int(policy.get("MaximumRetryCount") or 0)
        )
        return ExitInfo(
            exit_code=exit_code,
            oom_killed=bool(state.get("OOMKilled")),
            restarting=bool(state.get("Restarting")) or retry_left,
            restart_count=restarts,
            error=str(state.get("Error") or ""),
        )

    def python_version(self, image: str) -> str:
        """The ``major.minor`` of the image's ``python3``, from a short-lived container.

        The container runs :data:`PYTHON_PROBE` with no network and is removed once it ended
        (or could not start).

        Raises:
            BackendError: The image is missing, has no ``python3``, or the probe failed; the
                message names the image and the engine's reason.
        """
        errors = self._docker.errors
        try:
            container = self._client.containers.create(
                image,
                entrypoint=list(PYTHON_PROBE),
                network_mode="none",
                labels={PROBE_LABEL: "python"},
            )
        except errors.ImageNotFound as exc:
            raise BackendError(
                f"docker engine {self.url}: image {image!r} not found ({exc.explanation}); "
                "pull or build it first"
            ) from exc
        except errors.DockerException as exc:
            raise self._fail(f"probing the Python of image {image}", exc) from exc
        try:
            container.start()
            code = int(container.wait().get("StatusCode", 1))
            output = bytes(container.logs(stdout=True, stderr=True)).decode(errors="replace")
        except errors.DockerException as exc:
            raise BackendError(
                f"docker engine {self.url}: image {image!r} cannot run python3 (a Partial runs "
                f"`python3 -m nr_exec.runner`): {exc}"
            ) from exc
        finally:
            self.remove(container.id)
        if code != 0:
            raise BackendError(
                f"docker engine {self.url}: image {image!r} cannot run python3 (a Partial runs "
                f"`python3 -m nr_exec.runner`): exit code {code}: {output.strip()[-500:]}"
            )
        lines = output.strip().splitlines()
        return lines[-1] if lines else ""

    def stop(self, container: str, timeout: float) -> None:
        """Stop ``container`` (SIGTERM, SIGKILL after ``timeout`` seconds); gone is fine."""
        try:
            self._client.api.stop(container, timeout=max(0, round(timeout)))
        except self._docker.errors.NotFound:
            return
        except self._docker.errors.DockerException as exc:
            raise self._fail(f"stopping {container}", exc) from exc

    def remove(self, container: str) -> None:
        """Remove ``container`` (killing it if it runs); already gone is fine."""
        try:
            self._client.api.remove_container(container, force=True)
        except self._docker.errors.NotFound:
            return
        except self._docker.errors.APIError as exc:
            if exc.status_code == 409:  # removal already in progress
                return
            raise self._fail(f"removing {container}", exc) from exc
        except self._docker.errors.DockerException as exc:
            raise self._fail(f"removing {container}", exc) from exc

    def close(self) -> None:
        """Close the connection."""
        self._client.close()
