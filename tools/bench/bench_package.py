"""Packaging cost of a generated 5,000-file git repository: cold, cached, after one change.

Figures (milliseconds, median over the repetitions):

* ``cold_ms``: ``GitArchivePackager`` with an empty cache (git listing, blob streaming, gzip).
* ``cached_ms``: the same repository again, unchanged (``git rev-parse`` + ``git status`` +
  a cache lookup and a hard link).
* ``one_file_changed_ms``: one tracked file edited, ``include_uncommitted=True`` (a cache miss,
  so a full rebuild).
* ``pattern_cold_ms`` / ``pattern_cached_ms``: ``PatternPackager`` over the same tree.
Also reported: the archive size and whether two cold builds gave byte-identical archives.
"""

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from nr_package import GitArchivePackager, Packager, PatternPackager

FILES = 5000


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _make_repo(root: Path, files: int) -> Path:
    repo = root / "repo"
    for index in range(files):
        path = repo / f"pkg{index % 50:02d}" / f"sub{index % 7}" / f"module_{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE_{index} = {index}\n" + "# padding line\n" * (index % 40))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "generated")
    return repo


def _timed(packager: Packager, repo: Path, out: Path, cache: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = packager.package(repo, out, "code", cache_dir=cache)
    return (time.perf_counter() - started) * 1000, result.sha256


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def run(quick: bool) -> dict[str, object]:
    repeats = 2 if quick else 5
    timings: dict[str, list[float]] = {
        "cold_ms": [],
        "cached_ms": [],
        "one_file_changed_ms": [],
        "pattern_cold_ms": [],
        "pattern_cached_ms": [],
    }
    hashes = set()
    with tempfile.TemporaryDirectory(prefix="bench-package-") as temp:
        root = Path(temp)
        repo = _make_repo(root, FILES)
        git_packager = GitArchivePackager()
        working = GitArchivePackager(include_uncommitted=True)
        pattern = PatternPackager(include_pattern="**", relative_path=str(repo))
        edited = repo / "pkg00" / "sub0" / "module_0.py"
        for attempt in range(repeats):
            cache = root / f"cache{attempt}"
            elapsed, digest = _timed(git_packager, repo, root / "cold", cache)
            timings["cold_ms"].append(elapsed)
            hashes.add(digest)
            timings["cached_ms"].append(_timed(git_packager, repo, root / "cached", cache)[0])
            _timed(working, repo, root / "working", cache)
            edited.write_text(f"VALUE_0 = {attempt + 1}\n")
            timings["one_file_changed_ms"].append(_timed(working, repo, root / "working", cache)[0])
            _git(repo, "checkout", "--", ".")
            timings["pattern_cold_ms"].append(_timed(pattern, repo, root / "pattern", cache)[0])
            timings["pattern_cached_ms"].append(_timed(pattern, repo, root / "pattern", cache)[0])
        size = (root / "cold" / "code.tar.gz").stat().st_size
    return {
        "files": FILES,
        "repeats": repeats,
        **{name: _median(values) for name, values in timings.items()},
        "archive_bytes": size,
        "deterministic": len(hashes) == 1,
    }
