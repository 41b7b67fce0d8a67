"""``python -m nr_package``: write an archive from the command line (for CI pipelines).

Subcommands ``git``, ``pattern`` and ``hybrid`` build an archive and print
``<sha256>  <archive path>`` (the ``sha256sum`` format) or, with ``--json``, a JSON document with
the path, the hash, whether it came from the cache and the manifest. ``extract`` safely extracts
an archive. Errors print one line on stderr and exit with status 1.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nr_package.errors import PackagingError
from nr_package.extract import extract_archive
from nr_package.packagers import GitArchivePackager, HybridPackager, Packager, PatternPackager

__all__ = ["main", "packager_from_spec"]

_KINDS: dict[str, type[Packager]] = {"git": GitArchivePackager, "pattern": PatternPackager}


def packager_from_spec(spec: dict[str, Any]) -> Packager:
    """Build a packager from ``{"type": "git" | "pattern", <field>: <value>, ...}``.

    Args:
        spec: The type and the packager's fields.

    Returns:
        The packager.

    Raises:
        PackagingError: If the type is unknown or a field is invalid.
    """
    fields = dict(spec)
    kind = fields.pop("type", None)
    if kind not in _KINDS:
        raise PackagingError(f'sub-packager spec needs "type": one of {sorted(_KINDS)}: {spec}')
    try:
        return _KINDS[kind](**fields)
    except TypeError as error:
        raise PackagingError(f"invalid {kind} sub-packager spec {spec}: {error}") from error


def _parse_sub(text: str) -> tuple[str, Packager]:
    key, sep, raw = text.partition("=")
    if not sep:
        raise PackagingError(f"--sub expects KEY=JSON, got {text!r}")
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as error:
        raise PackagingError(f"--sub {key}: invalid JSON: {error}") from error
    if not isinstance(spec, dict):
        raise PackagingError(f"--sub {key}: expected a JSON object, got {raw!r}")
    return key, packager_from_spec(spec)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nr_package",
        description="Write a deterministic code archive, or extract one safely.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--source", type=Path, default=Path(), help="launch directory (.)")
    common.add_argument("-o", "--output-dir", type=Path, default=Path(), help="output dir (.)")
    common.add_argument("-n", "--name", default="code", help="archive name without .tar.gz")
    common.add_argument("--cache-dir", type=Path, help="cache (default $NR_PACKAGE_CACHE)")
    common.add_argument("--no-cache", action="store_true", help="rebuild even if cached")
    common.add_argument("--json", action="store_true", help="print path, hash and manifest")

    git = commands.add_parser("git", parents=[common], help="a commit of a git repository")
    git.add_argument("--basepath", default="", help="repository (default: toplevel of source)")
    git.add_argument("--subpath", default="", help="directory that becomes the archive root")
    git.add_argument("--ref", default="HEAD", help="commit-ish to package (HEAD)")
    git.add_argument("--no-submodules", action="store_true", help="leave submodules out")
    git.add_argument("--include-pattern", action="append", default=[], metavar="GLOB")
    git.add_argument("--include-pattern-relative-path", action="append", default=[], metavar="DIR")
    for flag in (
        "check-uncommitted-changes",
        "check-untracked-files",
        "include-uncommitted",
        "include-untracked",
    ):
        git.add_argument(f"--{flag}", action="store_true")

    pattern = commands.add_parser("pattern", parents=[common], help="files matched by globs")
    pattern.add_argument("--include-pattern", action="append", required=True, metavar="GLOB")
    pattern.add_argument("--relative-path", action="append", default=[], metavar="DIR")
    pattern.add_argument("--exclude-pattern", action="append", default=[], metavar="GLOB")
    pattern.add_argument("--respect-gitignore", action="store_true")

    hybrid = commands.add_parser("hybrid", parents=[common], help="several packagers combined")
    hybrid.add_argument(
        "--sub",
        action="append",
        required=True,
        metavar="KEY=JSON",
        help='e.g. code=\'{"type": "git", "subpath": "src"}\'',
    )
    hybrid.add_argument("--extract-at-root", action="store_true")

    extract = commands.add_parser("extract", help="extract an archive safely")
    extract.add_argument("archive", type=Path)
    extract.add_argument("target", type=Path)
    return parser


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def _build(args: argparse.Namespace) -> Packager:
    if args.command == "git":
        return GitArchivePackager(
            basepath=args.basepath,
            subpath=args.subpath,
            ref=args.ref,
            include_submodules=not args.no_submodules,
            include_pattern=args.include_pattern,
            include_pattern_relative_path=_one_or_list(args.include_pattern_relative_path or [""]),
            check_uncommitted_changes=args.check_uncommitted_changes,
            check_untracked_files=args.check_untracked_files,
            include_uncommitted=args.include_uncommitted,
            include_untracked=args.include_untracked,
        )
    if args.command == "pattern":
        return PatternPackager(
            include_pattern=args.include_pattern,
            relative_path=_one_or_list(args.relative_path or [""]),
            exclude_pattern=args.exclude_pattern,
            respect_gitignore=args.respect_gitignore,
        )
    return HybridPackager(
        sub_packagers=dict(_parse_sub(text) for text in args.sub),
        extract_at_root=args.extract_at_root,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 1 on a packaging or file-system error.
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "extract":
            for path in extract_archive(args.archive, args.target):
                print(path)
            return 0
        packager = _build(args)
        result = packager.package(
            args.source,
            args.output_dir,
            args.name,
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
        )
        if result is None:
            raise PackagingError(f"{type(packager).__name__} wrote no archive")
    except PackagingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 1
    if args.json:
        document = {
            "archive": str(result.archive),
            "sha256": result.sha256,
            "cached": result.cached,
            "manifest": result.manifest.to_dict(),
        }
        print(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print(f"{result.sha256}  {result.archive}")
    return 0
