"""LocalTunnel: the tunnel operations on this machine, and keep_alive callbacks."""

from __future__ import annotations

import copy
import io
import threading
from pathlib import Path

import pytest
from nr_tunnel import (
    Callback,
    CommandFailedError,
    CommandTimeoutError,
    LocalTunnel,
    RemoteCommandNotFoundError,
    RemotePathNotFoundError,
    Tunnel,
    TunnelError,
)


def test_local_tunnel_is_plain_configuration() -> None:
    tunnel = LocalTunnel(job_dir="/x")
    assert isinstance(tunnel, Tunnel)
    assert copy.deepcopy(tunnel) == tunnel
    assert (tunnel.host, tunnel.user, tunnel.key) == ("localhost", "", "localhost")


def test_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tunnel = LocalTunnel()
    result = tunnel.run(
        ["printf", "%s|", "a b", "$HOME", "x;y"], env={"Q": "it's"}, cwd=str(tmp_path)
    )
    assert result.stdout == "a b|$HOME|x;y|"
    assert tunnel.run('printf %s "$Q"; pwd', env={"Q": "it's"}, cwd=str(tmp_path)).stdout == (
        f"it's{tmp_path}\n"
    )
    assert tunnel.run("exit 3", warn=True).exit_code == 3
    with pytest.raises(CommandFailedError, match="status 3"):
        tunnel.run("echo boom >&2; exit 3")
    with pytest.raises(RemoteCommandNotFoundError):
        tunnel.run(["nr-no-such-command"])
    with pytest.raises(CommandTimeoutError):
        tunnel.run("sleep 5", timeout=0.2)
    tunnel.run("echo shown", hide=False)
    assert "shown" in capsys.readouterr().out


def test_files(tmp_path: Path) -> None:
    tunnel = LocalTunnel()
    source = tmp_path / "a file"
    source.write_text("hello")
    tunnel.put(source, str(tmp_path / "deep" / "copy"))
    tunnel.get(str(tmp_path / "deep" / "copy"), tmp_path / "back")
    assert (tmp_path / "back").read_text() == "hello"
    tunnel.put(source, str(source))  # same path: no-op
    assert tunnel.exists(str(source))
    assert not tunnel.exists(str(tmp_path / "nope"))
    tunnel.mkdir(str(tmp_path / "m" / "n"))
    assert (tmp_path / "m" / "n").is_dir()
    assert tunnel.read_from(str(source), 2) == b"llo"
    with pytest.raises(RemotePathNotFoundError):
        tunnel.read_from(str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError):
        tunnel.get(str(tmp_path / "nope"), tmp_path / "x")


def test_sync(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "pkg" / "__pycache__").mkdir(parents=True)
    (src / "pkg" / "m.py").write_text("m")
    (src / "pkg" / "__pycache__" / "m.pyc").write_text("c")
    (src / "link").symlink_to("pkg/m.py")
    (dst / "old").mkdir(parents=True)
    (dst / "old" / "f").write_text("stale")
    (dst / "keep.log").write_text("excluded, kept")
    tunnel = LocalTunnel()
    tunnel.sync(src, str(dst), delete=True, exclude=["__pycache__", "*.log"])
    assert (dst / "pkg" / "m.py").read_text() == "m"
    assert not (dst / "pkg" / "__pycache__").exists()
    assert not (dst / "old").exists()
    assert (dst / "keep.log").exists()
    assert (dst / "link").is_symlink()
    (src / "pkg" / "m.py").write_text("m2")
    tunnel.sync(src, str(dst))
    assert (dst / "pkg" / "m.py").read_text() == "m2"


class Recorder(Callback):
    def __init__(self, stop: threading.Event, fail_at: int | None = None) -> None:
        self.events: list[str] = []
        self.stop = stop
        self.fail_at = fail_at
        self.tunnel: Tunnel | None = None

    def setup(self, tunnel: Tunnel) -> None:
        self.tunnel = tunnel
        self.events.append("setup")

    def on_start(self) -> None:
        self.events.append("start")

    def on_interval(self) -> None:
        self.events.append("interval")
        if self.fail_at is not None and self.events.count("interval") == self.fail_at:
            raise TunnelError("lost")
        if self.events.count("interval") == 3:
            self.stop.set()

    def on_stop(self) -> None:
        self.events.append("stop")

    def on_error(self, error: Exception) -> None:
        self.events.append(f"error:{error}")


def test_keep_alive_drives_callbacks_until_stopped() -> None:
    stop = threading.Event()
    recorder = Recorder(stop)
    tunnel = LocalTunnel()
    tunnel.keep_alive(recorder, interval=0.01, stop=stop)
    assert recorder.tunnel is tunnel
    assert recorder.events == ["setup", "start", "interval", "interval", "interval", "stop"]


def test_keep_alive_reports_errors_and_still_stops() -> None:
    stop = threading.Event()
    recorder = Recorder(stop, fail_at=2)
    LocalTunnel().keep_alive(recorder, interval=0.01, stop=stop)
    assert recorder.events[-2:] == ["error:lost", "stop"]


def test_keep_alive_ends_quietly_on_ctrl_c() -> None:
    class Interrupt(Callback):
        stopped = False

        def on_interval(self) -> None:
            raise KeyboardInterrupt

        def on_stop(self) -> None:
            self.stopped = True

    callback = Interrupt()
    LocalTunnel().keep_alive(callback, interval=0.01)
    assert callback.stopped


def test_sync_replaces_a_symlinked_directory_instead_of_writing_through_it(tmp_path: Path) -> None:
    src, dst, elsewhere = tmp_path / "src", tmp_path / "dst", tmp_path / "elsewhere"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f").write_text("new")
    elsewhere.mkdir()
    dst.mkdir()
    (dst / "sub").symlink_to(elsewhere)
    LocalTunnel().sync(src, str(dst))
    assert list(elsewhere.iterdir()) == []
    assert not (dst / "sub").is_symlink()
    assert (dst / "sub" / "f").read_text() == "new"


def test_environment_values_never_appear_in_results_or_errors(tmp_path: Path) -> None:
    from nr_tunnel.errors import CommandFailedError, CommandTimeoutError

    tunnel = LocalTunnel(job_dir=str(tmp_path))
    secret = {"API_TOKEN": "s3cr3t-value"}
    result = tunnel.run('test -n "$API_TOKEN"', env=secret)
    assert result.exit_code == 0
    assert "s3cr3t-value" not in result.command
    assert "API_TOKEN=" in result.command
    with pytest.raises(CommandFailedError) as failed:
        tunnel.run("exit 3", env=secret)
    assert "s3cr3t-value" not in str(failed.value)
    with pytest.raises(CommandTimeoutError) as timed_out:
        tunnel.run("sleep 5", env=secret, timeout=0.2)
    assert "s3cr3t-value" not in str(timed_out.value)
    assert timed_out.value.__cause__ is None


def test_run_reads_stdin(tmp_path: Path) -> None:
    tunnel = LocalTunnel()
    on_disk = tmp_path / "data"
    on_disk.write_bytes(b"x" * 100_000)
    with on_disk.open("rb") as handle:
        assert tunnel.run("wc -c", stdin=handle).stdout.split() == ["100000"]
    assert tunnel.run("cat", stdin=io.BytesIO(b"a\nb\n")).stdout == "a\nb\n"
    assert tunnel.run("wc -c").stdout.split() == ["0"]
