"""``python -m nr_package``, the cache directory and the manifest."""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from nr_package import CACHE_ENV, ExtraFile, Manifest, default_cache_dir
from nr_package.cli import main


@pytest.fixture
def repo(tmp_path: Path, make_repo: Callable[..., Path]) -> Path:
    return make_repo(tmp_path / "repo", {"src/a.py": "a\n", "configs/x.yaml": "x: 1\n"})


def test_git_command_prints_sha256sum_line(repo: Path, tmp_path: Path, capsys) -> None:
    assert (
        main(["git", "--source", str(repo), "-o", str(tmp_path / "out"), "--subpath", "src"]) == 0
    )
    digest, path = capsys.readouterr().out.strip().split("  ")
    assert Path(path) == tmp_path / "out" / "code.tar.gz"
    check = subprocess.run(
        ["sha256sum", "-c"],
        input=f"{digest}  {path}\n",
        text=True,
        capture_output=True,
        check=False,
    )
    assert check.returncode == 0


def test_json_output_and_module_entry_point(repo: Path, tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "nr_package",
            "pattern",
            "--include-pattern",
            "configs/*.yaml",
            "--relative-path",
            str(repo),
            "-o",
            str(tmp_path / "out"),
            "-n",
            "cfg",
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    document = json.loads(completed.stdout)
    assert document["manifest"]["files"] == ["configs/x.yaml"]
    assert document["archive"] == str(tmp_path / "out" / "cfg.tar.gz")
    assert document["cached"] is False


def test_hybrid_and_extract_commands(repo: Path, tmp_path: Path, capsys) -> None:
    code = main(
        [
            "hybrid",
            "--source",
            str(repo),
            "-o",
            str(tmp_path),
            "-n",
            "job",
            "--json",
            "--sub",
            'code={"type": "git", "subpath": "src"}',
            "--sub",
            'configs={"type": "pattern", "include_pattern": "configs/*.yaml"}',
        ]
    )
    assert code == 0
    archive = json.loads(capsys.readouterr().out)["archive"]
    assert main(["extract", archive, str(tmp_path / "x")]) == 0
    assert (tmp_path / "x/code/a.py").read_text() == "a\n"
    assert (tmp_path / "x/configs/configs/x.yaml").is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["git", "--ref", "nope"],
        ["hybrid", "--sub", "code"],
        ["hybrid", "--sub", "code={bad json"],
        ["hybrid", "--sub", 'code={"type": "zip"}'],
        ["hybrid", "--sub", 'code={"type": "git", "colour": 1}'],
        ["hybrid", "--sub", "code=[1]"],
    ],
)
def test_errors_exit_1_with_one_line(repo: Path, tmp_path: Path, capsys, argv: list[str]) -> None:
    assert main([*argv, "--source", str(repo), "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "nr-package"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "nr-package"


def test_env_cache_is_used(repo: Path, tmp_path: Path) -> None:
    from nr_package import GitArchivePackager

    GitArchivePackager().package(repo, tmp_path / "out", "code")
    assert default_cache_dir().is_dir()
    assert list(default_cache_dir().glob("*.json"))


def test_manifest_round_trip() -> None:
    inner = Manifest(
        "GitArchivePackager",
        ("a",),
        "c" * 40,
        "HEAD",
        {"s": "d" * 40},
        (ExtraFile("a", "uncommitted", "e" * 64),),
        ("gone",),
    )
    outer = Manifest("HybridPackager", ("code/a",), parts={"code": inner})
    assert Manifest.from_dict(json.loads(outer.to_json())) == outer


@pytest.mark.parametrize("damage", ["{}", "[]", '{"sha256": "x", "manifest": {}}'])
def test_a_damaged_cache_entry_is_a_miss(repo: Path, tmp_path: Path, damage: str) -> None:
    from nr_package import GitArchivePackager

    cache = tmp_path / "cache"
    first = GitArchivePackager().package(repo, tmp_path / "out", "code", cache_dir=cache)
    (meta,) = cache.glob("*.json")
    meta.write_text(damage)
    again = GitArchivePackager().package(repo, tmp_path / "out", "code", cache_dir=cache)
    assert not again.cached
    assert again.sha256 == first.sha256


def test_prepared_inputs_are_released_on_a_cache_hit(tmp_path: Path) -> None:
    from dataclasses import dataclass

    from nr_package import Packager
    from nr_package.packagers.base import Prepared

    closed: list[bool] = []

    @dataclass(kw_only=True)
    class Counting(Packager):
        def prepare(self, source: Path) -> Prepared:
            return Prepared(
                {"k": 1}, lambda: ([], Manifest("Counting")), lambda: closed.append(True)
            )

    for _ in range(2):
        Counting().package(tmp_path, tmp_path / "out", "code", cache_dir=tmp_path / "cache")
    assert closed == [True, True]
