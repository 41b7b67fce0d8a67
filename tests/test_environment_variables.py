"""Every environment variable the code reads is named in ``nr_exec.EnvVar``.

nr-package and nr-tunnel stand alone (they may not import nr-exec), so they spell their own
names; this test keeps those spellings equal to the ones ``EnvVar`` lists.
"""

import re
from pathlib import Path

from nr_exec import EnvVar

ROOT = Path(__file__).resolve().parent.parent
# os.environ.get("X"), os.environ["X"], os.getenv("X"), .pop/.setdefault("X"), and NAME_ENV = "X".
READS = re.compile(
    r"""(?:environ(?:\.get|\.pop|\.setdefault)?\s*[(\[]|getenv\()\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|^\s*[A-Z_]*ENV\s*=\s*["']([A-Z][A-Z0-9_]*)["']""",
    re.MULTILINE,
)


def literal_reads() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "packages").glob("*/src/**/*.py")):
        for match in READS.finditer(path.read_text(encoding="utf-8")):
            name = match.group(1) or match.group(2)
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_variable_read_is_named_once() -> None:
    reads = literal_reads()
    assert reads, "the scan found no environment reads at all: the pattern is broken"
    known = {member.value for member in EnvVar}
    unnamed = {name: where for name, where in reads.items() if name not in known}
    assert not unnamed, f"environment variables read but missing from nr_exec.EnvVar: {unnamed}"


def test_standalone_layers_spell_the_same_names() -> None:
    from nr_package.cache import CACHE_ENV

    assert EnvVar.PACKAGE_CACHE.value == CACHE_ENV
