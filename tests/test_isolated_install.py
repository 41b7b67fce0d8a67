"""Each distribution installs alone, from this repository, with complete dependencies.

``nr-config`` and ``nemo-run`` are also the names of unrelated projects on PyPI. These tests prove
that (a) every sibling requirement carries a lower bound that no foreign release can satisfy, and
(b) each distribution, installed alone into a fresh virtual environment from the offline wheelhouse
that ``tools/run_tests.py`` builds, imports this repository's code and all of its own modules.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(p for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())
SIBLINGS = {p.name for p in PACKAGES}
# Versions that unrelated projects of the same names have published, plus far-future ones.
FOREIGN_VERSIONS = ["0.1.0", "0.2.0", "0.12.0", "1.0.0", "2026.11.0", "99999.0"]

PROBE = """
import importlib, json, pkgutil, sys
from importlib import metadata
module = importlib.import_module(sys.argv[1])
imported, missing = [], {}
for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
    try:
        importlib.import_module(info.name)
    except ImportError as error:
        missing[info.name] = (error.name or repr(error)).split(".")[0]
    else:
        imported.append(info.name)
print(json.dumps({
    "file": module.__file__,
    "version": metadata.version(sys.argv[2]),
    "about": open(module.__file__.replace("__init__.py", "__about__.py")).read(),
    "imported": imported,
    "missing": missing,
}))
"""
# Top-level modules that only an optional extra of the distribution installs: a submodule may
# need one of them (e.g. nr_exec.torchx needs torchx), nothing else may be missing.
EXTRA_MODULES = {
    "docker",
    "torchx",
    "sky",
    "kubernetes",
    "ray",
    "graphviz",
    "rich",
    "IPython",
    "pytest",
}


def project(package: Path) -> dict[str, object]:
    with (package / "pyproject.toml").open("rb") as handle:
        data: dict[str, object] = tomllib.load(handle)["project"]
    return data


def import_name(package: Path) -> str:
    return package.name.replace("-", "_")


def all_requirements(package: Path) -> list[Requirement]:
    meta = project(package)
    raw = list(meta.get("dependencies", []))  # type: ignore[call-overload]
    for extra in dict(meta.get("optional-dependencies", {})).values():  # type: ignore[call-overload]
        raw.extend(extra)
    return [Requirement(r) for r in raw]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_sibling_requirements_never_match_foreign_releases(package: Path) -> None:
    siblings = [r for r in all_requirements(package) if r.name in SIBLINGS]
    for requirement in siblings:
        assert requirement.specifier, f"{package.name}: {requirement} has no lower bound"
        for version in FOREIGN_VERSIONS:
            assert not requirement.specifier.contains(version, prereleases=True), (
                f"{package.name}: {requirement} would accept a foreign release {version}"
            )
        assert requirement.specifier.contains("1!0.1.0"), requirement


def wheelhouse() -> Path:
    location = os.environ.get("NR_WHEELHOUSE")
    if not location or not Path(location).is_dir():
        message = "no offline wheelhouse; run the suite through tools/run_tests.py"
        if os.environ.get("NR_REQUIRE_BACKENDS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return Path(location)


@pytest.mark.slow
@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_installs_alone_from_this_repo(package: Path, tmp_path: Path) -> None:
    wheels = wheelhouse()
    venv = tmp_path / "venv"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            *uv,
            "pip",
            "install",
            "--quiet",
            "--offline",
            "--no-cache",
            "--no-index",
            "--find-links",
            str(wheels),
            "--python",
            str(python),
            package.name,
        ],
        check=True,
    )
    probe = subprocess.run(
        [str(python), "-c", PROBE, import_name(package), package.name],
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(probe.stdout)
    unexpected = {m: dep for m, dep in report["missing"].items() if dep not in EXTRA_MODULES}
    assert not unexpected, f"modules whose dependencies are not declared: {unexpected}"
    assert report["imported"] or not report["missing"], report
    assert Path(report["file"]).is_relative_to(venv), report["file"]
    about = package / "src" / import_name(package) / "__about__.py"
    assert report["about"] == about.read_text(), "installed code is not this repository's"
    check = subprocess.run(
        [*uv, "pip", "check", "--python", str(python)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
