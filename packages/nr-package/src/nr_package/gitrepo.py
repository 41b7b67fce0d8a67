"""Read-only access to a git repository through GitPython and the ``git`` binary.

Nothing here writes inside the repository: every command runs with ``--no-optional-locks`` (so
``git status`` does not refresh the index) and blobs are streamed from one persistent
``git cat-file --batch`` process per repository, never checked out.
"""

import collections
import contextlib
import io
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import git

from nr_package.archive import Opener
from nr_package.errors import GitError

__all__ = ["BlobStream", "GitRepo", "Status", "TreeItem"]


@dataclass(frozen=True)
class TreeItem:
    """One entry of ``git ls-tree -r``: a blob, a symlink or a submodule commit (gitlink).

    Attributes:
        mode: Octal mode as git prints it (``100644``, ``100755``, ``120000``, ``160000``).
        sha: Object id of the blob, or the submodule commit for a gitlink.
        path: Path relative to the listed tree.
    """

    mode: str
    sha: str
    path: str

    @property
    def is_gitlink(self) -> bool:
        """Whether the entry is a submodule commit."""
        return self.mode == "160000"

    @property
    def is_symlink(self) -> bool:
        """Whether the entry is a symbolic link (its blob is the link text)."""
        return self.mode == "120000"

    @property
    def is_executable(self) -> bool:
        """Whether the entry is an executable file."""
        return self.mode == "100755"


@dataclass(frozen=True)
class Status:
    """Working-tree state relative to ``HEAD`` (paths relative to the repository root).

    Attributes:
        modified: Tracked paths that differ from ``HEAD`` (staged or not, including deletions).
        untracked: Untracked files that ``.gitignore`` does not ignore.
    """

    modified: tuple[str, ...]
    untracked: tuple[str, ...]


class GitRepo:
    """A git work tree, queried without writing to it.

    Args:
        directory: The work tree's top directory.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._git = git.Git(str(directory))

    @classmethod
    def discover(cls, source: Path, ref: str) -> tuple["GitRepo", str, str]:
        """Find the work tree containing ``source`` and resolve ``ref`` and ``HEAD`` in one call.

        Args:
            source: Any directory inside the work tree.
            ref: A commit-ish (branch, tag, sha, ``HEAD~2`` ...).

        Returns:
            The repository, the commit of ``ref`` and the commit of ``HEAD``.

        Raises:
            GitError: If ``source`` is not in a work tree or a ref does not name a commit.
        """
        if not source.is_dir():
            raise GitError(f"source directory {str(source)!r} does not exist")
        probe = cls(source)
        try:
            out = probe.run("rev-parse", "--show-toplevel", f"{ref}^{{commit}}", "HEAD^{commit}")
        except GitError:
            top = probe.run("rev-parse", "--show-toplevel").strip()  # raises outside a work tree
            for name in (ref, "HEAD"):
                if not probe.commit_of(name, missing_ok=True):
                    raise GitError(f"{name!r} does not name a commit in {top!r}") from None
            raise
        lines = out.splitlines()
        return cls(Path(lines[0])), lines[1], lines[2]

    def run(self, *args: str) -> str:
        """Run ``git --no-optional-locks <args>`` in the work tree and return its stdout.

        Args:
            args: The git subcommand and its arguments.

        Returns:
            Standard output, undecoded newlines kept.

        Raises:
            GitError: If git fails; carries git's message.
        """
        command = ["git", "--no-optional-locks", *args]
        try:
            return self._git.execute(command, strip_newline_in_stdout=False)
        except git.GitCommandError as error:
            message = " ".join(str(error.stderr).strip().removeprefix("stderr:").split()).strip(
                " '"
            )
            raise GitError(
                f"`git {' '.join(args)}` failed in {str(self.directory)!r}: {message}"
            ) from error
        except git.GitCommandNotFound as error:
            raise GitError("the `git` executable was not found on PATH") from error

    def commit_of(self, ref: str, *, missing_ok: bool = False) -> str:
        """Return the commit id that ``ref`` names in this repository.

        Args:
            ref: A commit-ish.
            missing_ok: Return ``""`` instead of raising when ``ref`` names no commit.

        Returns:
            The full commit id.
        """
        try:
            return self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
        except GitError:
            if missing_ok:
                return ""
            raise

    def tree(self, commit: str, scope: str) -> list[TreeItem]:
        """List every blob, symlink and gitlink of ``commit`` below ``scope``, recursively.

        Args:
            commit: The commit id.
            scope: Directory inside the repository (``""`` for the root); listed paths are
                relative to it.

        Returns:
            The entries, in git's order.

        Raises:
            GitError: If ``scope`` is not a directory of the commit.
        """
        treeish = f"{commit}:{scope}" if scope else f"{commit}^{{tree}}"
        kind = self.run("cat-file", "-t", treeish).strip() if scope else "tree"
        if kind != "tree":
            raise GitError(f"{scope!r} is not a directory in commit {commit[:12]}")
        items = []
        for record in self.run("ls-tree", "-r", "-z", treeish).split("\0"):
            if record:
                meta, path = record.split("\t", 1)
                mode, _, sha = meta.split(" ")
                items.append(TreeItem(mode, sha, path))
        return items

    def status(self, scope: str) -> Status:
        """Return the tracked changes and untracked files below ``scope`` (submodules ignored).

        Args:
            scope: Directory inside the repository (``""`` for everything).

        Returns:
            The working-tree status.
        """
        out = self.run(
            "status",
            "--porcelain=v1",
            "-z",
            "--no-renames",
            "--ignore-submodules=all",
            "--untracked-files=all",
            "--",
            scope or ".",
        )
        modified: list[str] = []
        untracked: list[str] = []
        for record in out.split("\0"):
            if record:
                (untracked if record[:2] == "??" else modified).append(record[3:])
        return Status(tuple(sorted(modified)), tuple(sorted(untracked)))

    def read_blob(self, sha: str) -> bytes:
        """Return the content of a blob (used for symlink targets)."""
        return self._git.get_object_data(sha)[3]

    def blobs(self, shas: list[str]) -> "BlobStream":
        """Start streaming ``shas`` (in the order they will be opened) from one ``cat-file``."""
        return BlobStream(self.directory, shas)

    def close(self) -> None:
        """Stop the persistent ``git cat-file`` processes."""
        self._git.clear_cache()


class _Limited(io.RawIOBase):
    """Reads at most ``size`` bytes of a stream."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self._stream = stream
        self.remaining = size

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        wanted = self.remaining if size < 0 else min(size, self.remaining)
        data = self._stream.read(wanted)
        self.remaining -= len(data)
        return data


class BlobStream:
    """Blobs read through one ``git cat-file --batch`` fed by a thread, without round trips.

    The object ids are all written up front, so git streams the contents back to back; the
    openers must be used in the same order (the archive writer's sorted order).

    Args:
        directory: The repository.
        shas: The blobs, in the order their openers will be used.
    """

    def __init__(self, directory: Path, shas: list[str]) -> None:
        self._expected = collections.deque(shas)
        self._process = subprocess.Popen(
            ["git", "--no-optional-locks", "cat-file", "--batch"],
            cwd=directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._feeder = threading.Thread(target=self._feed, args=(shas,), daemon=True)
        self._feeder.start()

    def _feed(self, shas: list[str]) -> None:
        stdin = self._process.stdin
        assert stdin is not None  # noqa: S101 - Popen(stdin=PIPE) always sets it
        with contextlib.suppress(OSError, ValueError), stdin:
            for sha in shas:
                stdin.write(sha.encode("ascii") + b"\n")

    def opener(self, sha: str) -> Opener:
        """Return an :data:`~nr_package.archive.Opener` for the next blob, which must be ``sha``."""

        @contextlib.contextmanager
        def open_blob() -> Iterator[tuple[int, IO[bytes]]]:
            stdout = self._process.stdout
            if not self._expected or self._expected.popleft() != sha or stdout is None:
                raise GitError(f"blob {sha} requested out of order")
            header = stdout.readline().split()
            if len(header) != 3 or header[0].decode() != sha or header[1] != b"blob":
                raise GitError(f"git cat-file cannot read blob {sha}: {header!r}")
            body = _Limited(stdout, int(header[2]))
            yield int(header[2]), cast(IO[bytes], body)
            while body.remaining and body.read(1 << 20):
                pass
            stdout.read(1)

        return open_blob

    def close(self) -> None:
        """Stop ``git cat-file`` (at once if not every blob was read)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._feeder.join()
