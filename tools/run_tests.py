"""Run the whole test suite: prepare offline artifacts, then run pytest in the testbed's netns.

Steps:
1. Build an offline wheelhouse (.cache/wheelhouse) with a wheel of every distribution of
   packages/ and of their runtime dependencies. This is the last step that uses the network; the
   isolated-install tests install from it with ``--no-index``.
2. Install the CPU build of PyTorch that this kind of machine provides (``pip install
   torch==2.13.0`` finds a local wheel; uv does not look there, so hatch cannot declare it) for
   the torchrun tests.
3. Run pytest. When the testbed is up (tools/testbed/up.sh wrote its env file and created a
   loopback-only network namespace) and we are root, pytest runs inside that namespace, so no
   test traffic can leave loopback and every server of the testbed is reachable on 127.0.0.1.

Arguments are passed to pytest.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / ".cache" / "wheelhouse"
DEFAULT_TESTBED_ENV = Path("/tmp/nr-testbed/testbed.env")
TORCH_VERSION = "2.13.0"


def build_wheelhouse() -> None:
    packages = sorted(
        str(p) for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file()
    )
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    for stale in WHEELHOUSE.glob("n[re]*-*.whl"):
        stale.unlink()
    print(f"building the offline wheelhouse in {WHEELHOUSE.relative_to(ROOT)}", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(WHEELHOUSE),
            *packages,
        ],
        check=True,
    )


def install_torch() -> None:
    if importlib.util.find_spec("torch") is not None:
        return
    print(f"installing torch=={TORCH_VERSION} (CPU build) for the torchrun tests", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"torch=={TORCH_VERSION}",
        ],
        check=True,
    )


def testbed_namespace() -> str | None:
    env_file = Path(os.environ.get("NR_TESTBED_ENV", DEFAULT_TESTBED_ENV))
    if not env_file.is_file():
        return None
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    namespace = values.get("NR_TESTBED_NETNS", "").strip().strip("'\"")
    if not namespace or not Path("/run/netns", namespace).exists():
        return None
    if os.geteuid() != 0 or shutil.which("nsenter") is None:
        return None
    return namespace


def main(argv: list[str]) -> int:
    build_wheelhouse()
    install_torch()
    command = [sys.executable, "-m", "pytest", *argv]
    namespace = testbed_namespace()
    if namespace:
        print(
            f"running the tests inside the loopback-only network namespace {namespace!r}",
            flush=True,
        )
        command = ["bash", str(ROOT / "tools" / "testbed" / "run.sh"), *command]
    elif os.environ.get("NR_REQUIRE_BACKENDS") == "1":
        print(
            "NR_REQUIRE_BACKENDS=1 but no testbed namespace was found; start it with "
            "`sudo bash tools/testbed/up.sh all`",
            file=sys.stderr,
        )
        return 2
    os.environ["NR_WHEELHOUSE"] = str(WHEELHOUSE)
    return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
