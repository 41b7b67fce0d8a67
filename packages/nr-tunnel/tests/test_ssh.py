"""SSHTunnel against the testbed's real sshd, as root and as a non-root user, with both backends."""

# ruff: noqa: S106 - *_env fields hold environment variable names, not secrets

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nr_tunnel import (
    AuthenticationError,
    CommandFailedError,
    CommandTimeoutError,
    ConnectionLostError,
    ControlMasterNotRunningError,
    HostKeyMismatchError,
    RemoteCommandNotFoundError,
    RemotePathNotFoundError,
    SSHTunnel,
    UnknownHostKeyError,
)
from nr_tunnel.sessions import driver_for, open_driver_count

pytestmark = pytest.mark.ssh

Factory = Callable[..., SSHTunnel]
NASTY = ["a b", "it's", 'say "hi"', "$HOME", "x; touch pwned", "line1\nline2", "`id`"]


def test_run(tunnel: SSHTunnel, login: str) -> None:
    result = tunnel.run(["id", "-un"])
    assert result.exit_code == 0
    assert result.stdout.strip() == tunnel.user
    assert (tunnel.user == "root") is (login == "root")
    assert tunnel.run("echo out; echo err >&2; exit 3", warn=True) == tunnel.run(
        "echo out; echo err >&2; exit 3", warn=True
    )
    failed = tunnel.run("echo out; echo err >&2; exit 3", warn=True)
    assert (failed.exit_code, failed.stdout, failed.stderr) == (3, "out\n", "err\n")
    with pytest.raises(CommandFailedError, match="err"):
        tunnel.run("echo err >&2; exit 3")
    with pytest.raises(RemoteCommandNotFoundError):
        tunnel.run(["nr-no-such-command", "x"])
    env_result = tunnel.run('printf %s "$A"; pwd', env={"A": "v a$l"}, cwd="/tmp")
    assert env_result.stdout == "v a$l/tmp\n"
    with pytest.raises(CommandTimeoutError):
        tunnel.run("sleep 5", timeout=0.5)


def test_environment_values_never_appear_in_results_or_errors(make_tunnel: Factory) -> None:
    tunnel = make_tunnel("user")
    secret = {"API_TOKEN": "s3cr3t-value"}
    result = tunnel.run('test "${#API_TOKEN}" -eq 12', env=secret)
    assert result.exit_code == 0
    assert "s3cr3t-value" not in result.command
    with pytest.raises(CommandFailedError) as failed:
        tunnel.run("exit 3", env=secret)
    assert "s3cr3t-value" not in str(failed.value)
    with pytest.raises(CommandTimeoutError) as timed_out:
        tunnel.run("sleep 5", env=secret, timeout=0.5)
    assert "s3cr3t-value" not in str(timed_out.value)


@pytest.mark.parametrize("word", NASTY)
def test_arguments_are_quoted_safely(make_tunnel: Factory, word: str) -> None:
    tunnel = make_tunnel("user")
    assert tunnel.run(["printf", "%s", word]).stdout == word
    assert tunnel.run(["printf", "%s", word], cwd="/tmp", env={"W": word}).stdout == word


def test_pre_command_and_shell(make_tunnel: Factory) -> None:
    tunnel = make_tunnel("user", pre_command="export NR_PRE=1", shell="bash")  # noqa: S604
    assert tunnel.run('echo "$NR_PRE $0"').stdout == "1 bash\n"
    guarded = make_tunnel("user", pre_command="false")
    assert guarded.run("echo never\necho never", warn=True).stdout == ""


def test_put_get_read_from(tunnel: SSHTunnel, remote_dir: str, tmp_path: Path) -> None:
    for name in NASTY:
        local = tmp_path / "up"
        local.write_bytes(name.encode() * 100)
        local.chmod(0o751)
        remote = f"{remote_dir}/sub dir/{name}"
        tunnel.put(local, remote)
        assert tunnel.exists(remote)
        assert tunnel.run(["stat", "-c", "%a", remote]).stdout.strip() == "751"
        tunnel.get(remote, tmp_path / "down")
        assert (tmp_path / "down").read_bytes() == local.read_bytes()
    log = f"{remote_dir}/log"
    tunnel.run(f"printf 'one\\n' > {log}")
    assert tunnel.read_from(log, 0) == b"one\n"
    tunnel.run(f"printf 'two\\n' >> {log}")
    assert tunnel.read_from(log, 4) == b"two\n"
    assert tunnel.read_from(log, 8) == b""
    with pytest.raises(RemotePathNotFoundError):
        tunnel.read_from(f"{remote_dir}/missing", 0)
    with pytest.raises(RemotePathNotFoundError):
        tunnel.get(f"{remote_dir}/missing", tmp_path / "x")
    tunnel.mkdir(f"{remote_dir}/a/b c")
    assert tunnel.exists(f"{remote_dir}/a/b c")
    assert not tunnel.exists(f"{remote_dir}/nope")


def make_tree(root: Path, files: int) -> None:
    for i in range(files):
        path = root / f"d{i % 7}" / f"f {i}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {i}")
    (root / "skip.pyc").write_text("x")
    (root / "we$ird; name").write_text("w")


@pytest.mark.parametrize("method", ["rsync", "tar"])
def test_sync(
    tunnel: SSHTunnel,
    remote_dir: str,
    tmp_path: Path,
    method: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if method == "tar":
        monkeypatch.setattr(shutil, "which", lambda _name: None)  # no local rsync -> tar stream
    make_tree(tmp_path, 50)
    target = f"{remote_dir}/target"
    tunnel.mkdir(f"{target}/stale dir")
    tunnel.run(["touch", f"{target}/stale dir/old", f"{target}/keep.pyc"])
    tunnel.sync(tmp_path, target, delete=True, exclude=["*.pyc"])
    listing = tunnel.run(["find", target, "-type", "f"]).stdout.splitlines()
    assert len(listing) == 52  # 50 files + weird name + the excluded (kept) keep.pyc
    assert f"{target}/keep.pyc" in listing
    assert tunnel.read_from(f"{target}/we$ird; name") == b"w"
    assert not tunnel.exists(f"{target}/stale dir")
    (tmp_path / "d1" / "f 1.txt").write_text("changed")
    tunnel.sync(tmp_path, target, exclude=["*.pyc"])
    assert tunnel.read_from(f"{target}/d1/f 1.txt") == b"changed"


def test_sixteen_threads_share_one_connection(
    make_tunnel: Factory, backend: str, tmp_path: Path
) -> None:
    tunnel = make_tunnel("user", backend=backend)
    before = open_driver_count()

    def work(i: int) -> str:
        local = tmp_path / f"in{i}"
        local.write_text(f"payload {i}")
        tunnel.put(local, f"/tmp/nr-threads-{os.getpid()}-{i}")
        tunnel.get(f"/tmp/nr-threads-{os.getpid()}-{i}", tmp_path / f"out{i}")
        outputs = {tunnel.run(["echo", f"{i}-{n}"]).stdout for n in range(10)}
        assert outputs == {f"{i}-{n}\n" for n in range(10)}
        tunnel.run(["rm", f"/tmp/nr-threads-{os.getpid()}-{i}"])
        return (tmp_path / f"out{i}").read_text()

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(16)))
    assert results == [f"payload {i}" for i in range(16)]
    assert open_driver_count() <= before + 1  # one connection for all 16 threads
    copy = make_tunnel("user", backend=backend)
    assert driver_for(copy) is driver_for(tunnel)


def _session_pid(pid: int) -> int:
    """Walk up from a remote process to the sshd process serving its connection."""
    while True:
        stat = Path(f"/proc/{pid}/stat").read_text()
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        if comm == "sshd":
            return pid
        pid = int(stat[stat.rindex(")") + 2 :].split()[1])


def test_killed_session_command_is_not_rerun_then_reconnects(
    tunnel: SSHTunnel, remote_dir: str
) -> None:
    marker = f"{remote_dir}/runs"
    with pytest.raises(ConnectionLostError, match="may have run") as lost:
        tunnel.run(f"echo x >> {marker}; kill -9 $PPID; sleep 5")
    assert lost.value.may_have_run
    assert tunnel.run(["wc", "-l", marker]).stdout.split()[0] == "1"  # reconnected, not re-run


def test_killed_session_during_idempotent_read_is_retried(
    make_tunnel: Factory, login: str, request: pytest.FixtureRequest
) -> None:
    tunnel = make_tunnel(login)
    fifo = Path(tunnel.run(["mktemp", "-u", "/tmp/nr-fifo.XXXXXX"]).stdout.strip())
    tunnel.run(["mkfifo", "-m", "666", str(fifo)])
    request.addfinalizer(fifo.unlink)
    pattern = f"tail -c +1 -- {fifo}"

    def tails() -> list[int]:
        found = []
        for proc in Path("/proc").iterdir():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if proc.name.isdigit() and pattern in cmdline and "pytest" not in cmdline:
                found.append(int(proc.name))
        return found

    def saboteur() -> None:
        while not (first := tails()):
            time.sleep(0.02)
        os.kill(_session_pid(first[0]), signal.SIGKILL)  # the server side of the connection dies
        for pid in first:  # and so do the processes of that session
            os.kill(pid, signal.SIGKILL)
        while not [p for p in tails() if p not in first]:
            time.sleep(0.02)
        with fifo.open("w") as writer:  # the retried read now gets its data
            writer.write("after reconnect")

    thread = threading.Thread(target=saboteur)
    thread.start()
    assert tunnel.read_from(str(fifo)) == b"after reconnect"
    thread.join()


def test_host_key_mismatch(
    make_tunnel: Factory, backend: str, tmp_path: Path, testbed: object
) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True
    )
    wrong = (tmp_path / "other.pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    tunnel = make_tunnel("user", backend=backend, known_hosts=str(known))
    known.write_text(f"[{tunnel.host}]:{tunnel.port} {' '.join(wrong)}\n")
    with pytest.raises(HostKeyMismatchError) as error:
        tunnel.run("true")
    assert str(known) in str(error.value)
    assert tunnel.host in str(error.value)
    known.write_text("")
    with pytest.raises(UnknownHostKeyError):
        make_tunnel("user", backend=backend, known_hosts=str(known), connect_timeout=5.0).run(
            "true"
        )
    relaxed = make_tunnel(
        "user", backend=backend, known_hosts=str(known), insecure_skip_host_key_check=True
    )
    assert relaxed.run("echo ok").stdout == "ok\n"


def test_wrong_key(make_tunnel: Factory, backend: str, tmp_path: Path) -> None:
    key = tmp_path / "wrong"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    tunnel = make_tunnel("user", backend=backend, identity=str(key))
    with pytest.raises(AuthenticationError) as error:
        tunnel.run("true")
    assert f"key file {key}" in str(error.value)
    assert error.value.methods == (f"publickey (key file {key})",)


def test_passphrase_protected_key(
    make_tunnel: Factory, testbed: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "locked"
    shutil.copy(make_tunnel("user").identity or "", key)
    key.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-N", "s3cret pass", "-f", str(key)], check=True)
    monkeypatch.setenv("NR_TEST_PASSPHRASE", "s3cret pass")
    tunnel = make_tunnel("user", identity=str(key), passphrase_env="NR_TEST_PASSPHRASE")
    assert tunnel.run("echo unlocked").stdout == "unlocked\n"
    assert "s3cret" not in repr(tunnel)
    locked = make_tunnel("user", identity=str(key))
    with pytest.raises(AuthenticationError, match="passphrase"):
        locked.run("true")


def test_jump_host(make_tunnel: Factory, backend: str) -> None:
    probe = make_tunnel("user")
    # "localhost" names the same sshd differently: OpenSSH refuses a jump to the identical name
    tunnel = make_tunnel("user", backend=backend, jump_host=f"{probe.user}@localhost:{probe.port}")
    assert tunnel.run("echo jumped").stdout == "jumped\n"


def test_openssh_reuse_only_names_the_command_to_start_the_master(make_tunnel: Factory) -> None:
    starter = make_tunnel("user", backend="openssh", control_persist="20s")
    reuse = make_tunnel("user", backend="openssh", reuse_master_only=True, control_persist="20s")
    subprocess.run(  # stop a master left by another test (by its own socket, never blindly)
        [*driver_for(starter).ssh_argv(), "-O", "exit", f"{starter.user}@{starter.host}"],  # type: ignore[union-attr]
        capture_output=True,
        check=False,
    )
    with pytest.raises(ControlMasterNotRunningError) as error:
        reuse.run("true")
    command = error.value.start_command
    assert " -M -N -f " in command
    assert str(starter.port) in command
    subprocess.run(command, shell=True, check=True, stdin=subprocess.DEVNULL)  # noqa: S602
    assert reuse.run("echo reused").stdout == "reused\n"


def test_run_streams_stdin(tunnel: SSHTunnel, tmp_path: Path) -> None:
    """A command reads a file (with a descriptor) or an in-memory stream as its stdin."""
    data = os.urandom(3 * 1024 * 1024)  # more than one read of the drivers
    on_disk = tmp_path / "data"
    on_disk.write_bytes(data)
    with on_disk.open("rb") as handle:
        assert tunnel.run("wc -c", stdin=handle).stdout.split() == [str(len(data))]
    assert tunnel.run("cat", stdin=io.BytesIO(b"line 1\nline 2\n")).stdout == "line 1\nline 2\n"
    assert tunnel.run("wc -c").stdout.split() == ["0"]  # no stdin: empty, never this process's
