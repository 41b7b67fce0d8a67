"""Run deptry on every distribution of packages/ and fail if any of them declares its deps wrongly.

deptry checks, per distribution, that every third-party import is declared (and declared directly,
not only through a sibling), and that every declared dependency is imported somewhere.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    failed: list[str] = []
    for package in sorted((ROOT / "packages").iterdir()):
        if not (package / "pyproject.toml").is_file():
            continue
        print(f"deptry {package.relative_to(ROOT)}", flush=True)
        result = subprocess.run([sys.executable, "-m", "deptry", "."], cwd=package, check=False)
        if result.returncode != 0:
            failed.append(package.name)
    if failed:
        print(f"deptry found dependency problems in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
