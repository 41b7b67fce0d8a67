"""``nemorun --help`` stays cheap: it lists command groups without `importlib.metadata`."""

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from nr_cli.entry_point_names import ENTRY_POINT_GROUP, entry_point_names

HELP = "import sys; from nr_cli.app import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"


def _fake_distribution(site: Path, directory: str, text: str) -> None:
    info = site / directory
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {directory.split('-', maxsplit=1)[0]}\n"
    )
    (info / "entry_points.txt").write_text(text)


def test_help_imports_neither_metadata_nor_typing() -> None:
    probe = (
        HELP
        + "print(sorted(m for m in ('importlib.metadata', 'typing', 'email') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_help_lists_installed_groups(tmp_path: Path) -> None:
    _fake_distribution(
        tmp_path, "nrx_groups-1.0.dist-info", f"[{ENTRY_POINT_GROUP}]\nnrxgroup = nrx_mod.cli\n"
    )
    env_path = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
    result = subprocess.run(
        [sys.executable, "-c", env_path + HELP], capture_output=True, text=True, check=True
    )
    assert "nrxgroup" in result.stdout
    assert "commands of nrx_mod.cli" in result.stdout


def test_entry_point_names_agree_with_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "# a comment\n[console_scripts]\nignored = a:b\n\n"
        f"[{ENTRY_POINT_GROUP}]\nfirst = pkg.one:cli [extra]\n# another comment\nsecond=pkg.two\n"
    )
    _fake_distribution(tmp_path, "Nrx.Fake_Dist-2.0.dist-info", text)
    shadow = tmp_path / "later"
    shadow.mkdir()
    # The same distribution again, later on sys.path: counted once, as importlib.metadata does.
    _fake_distribution(shadow, "nrx_fake_dist-1.0.dist-info", f"[{ENTRY_POINT_GROUP}]\nold = x:y\n")
    monkeypatch.syspath_prepend(str(shadow))
    monkeypatch.syspath_prepend(str(tmp_path))
    expected = sorted((p.name, p.value) for p in entry_points(group=ENTRY_POINT_GROUP))
    assert sorted(entry_point_names(ENTRY_POINT_GROUP)) == expected
    assert ("first", "pkg.one:cli [extra]") in expected
    assert ("old", "x:y") not in expected
