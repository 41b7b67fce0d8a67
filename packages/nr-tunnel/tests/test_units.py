"""Pure unit tests: quoting, results, retries, sync helpers, SSHTunnel configuration."""

# ruff: noqa: S106 - *_env fields hold environment variable names, not secrets

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import nr_tunnel
import pytest
from nr_tunnel import (
    CommandFailedError,
    RemoteCommandNotFoundError,
    RunResult,
    SSHTunnel,
    Tunnel,
    TunnelError,
)
from nr_tunnel.openssh import OpenSSHDriver, control_path, system_ssh_argv
from nr_tunnel.quoting import build_command, to_shell
from nr_tunnel.retry import backoff_delays, retry
from nr_tunnel.sync import is_excluded, rsync_argv

NASTY = ["a b", "it's", 'say "hi"', "$HOME", "x; rm -rf /", "line1\nline2", "`id`", "*", ""]


def make(**overrides: object) -> SSHTunnel:
    settings: dict[str, object] = {"host": "login.example", "user": "alice", "job_dir": "/scratch"}
    settings.update(overrides)
    return SSHTunnel(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("word", NASTY)
def test_argument_vectors_reach_the_program_unchanged(word: str) -> None:
    script = build_command(["printf", "%s", word], env={"V": word}, cwd="/")
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == word


def test_string_commands_are_shell_commands_and_prefix_guards_every_line() -> None:
    assert to_shell("echo $((1+1))") == "echo $((1+1))"
    script = build_command("echo one\necho two # comment", pre_command="false")
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout == ""
    assert done.returncode == 1


def test_invalid_env_names_and_empty_commands_are_rejected() -> None:
    with pytest.raises(ValueError, match="invalid environment variable"):
        build_command("true", env={"A B": "1"})
    with pytest.raises(ValueError, match="empty command"):
        to_shell([])


def test_run_result_check() -> None:
    assert RunResult(0, "out", "", "true").check().ok
    with pytest.raises(RemoteCommandNotFoundError) as missing:
        RunResult(127, "", "sh: nope: not found", "nope").check()
    assert missing.value.exit_code == 127
    assert "nope: not found" in str(missing.value)
    with pytest.raises(CommandFailedError, match="status 3") as failed:
        RunResult(3, "", "x" * 5000, "cmd").check()
    assert len(str(failed.value)) < 2200  # stderr tail only


def test_backoff_is_exponential_and_capped() -> None:
    assert backoff_delays(5, 0.5, 2.0) == [0.5, 1.0, 2.0, 2.0]
    assert backoff_delays(1, 0.5, 2.0) == []


def test_retry_retries_only_the_listed_errors() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("down")
        return "up"

    resets: list[int] = []
    assert (
        retry(
            flaky,
            retry_on=(TimeoutError,),
            delays=[0, 0, 0],
            what="x",
            before_retry=lambda: resets.append(1),
        )
        == "up"
    )
    assert len(calls) == 3
    assert len(resets) == 2
    with pytest.raises(KeyError):
        retry(lambda: {}["k"], retry_on=(TimeoutError,), delays=[0, 0], what="x")
    with pytest.raises(TimeoutError):
        retry(flaky_always, retry_on=(TimeoutError,), delays=[0], what="x")


def flaky_always() -> None:
    raise TimeoutError("always")


@pytest.mark.parametrize(
    ("path", "patterns", "excluded"),
    [
        ("a/b/x.pyc", ["*.pyc"], True),
        ("a/__pycache__", ["__pycache__"], True),
        ("build/tmp", ["build/tmp"], True),
        ("src/build/tmp", ["build/tmp"], False),
        ("a/b.py", ["*.pyc", "x"], False),
    ],
)
def test_exclusion_patterns(path: str, patterns: list[str], excluded: bool) -> None:
    assert is_excluded(path, patterns) is excluded


def test_rsync_arguments() -> None:
    argv = rsync_argv(
        Path("/src"), "u@h:/dst dir", ssh_argv=["ssh", "-p", "22"], delete=True, exclude=["*.o"]
    )
    assert argv[-2:] == ["/src/", "u@h:/dst dir"]
    assert "--delete" in argv
    assert "--exclude=*.o" in argv
    assert "--protect-args" in argv
    assert argv[argv.index("-e") + 1] == "ssh -p 22"


def test_ssh_tunnel_is_plain_configuration() -> None:
    tunnel = make(port=2200, identity="~/.ssh/id", passphrase_env="MY_PASSPHRASE")
    assert tunnel.key == "alice@login.example:2200"
    assert make().key == "alice@login.example:22"
    clone = copy.deepcopy(tunnel)
    assert clone == tunnel
    rebuilt = SSHTunnel(
        **{f.name: getattr(tunnel, f.name) for f in dataclasses.fields(tunnel) if f.init}
    )
    assert rebuilt == tunnel
    assert rebuilt.connection_key() == tunnel.connection_key()
    assert isinstance(tunnel, Tunnel)


def test_secrets_are_never_fields_nor_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_PASSPHRASE", "hunter2-secret")
    tunnel = make(identity="/k", passphrase_env="MY_PASSPHRASE")
    assert "hunter2" not in repr(tunnel)
    assert tunnel.secret("MY_PASSPHRASE") == "hunter2-secret"
    monkeypatch.delenv("MY_PASSPHRASE")
    with pytest.raises(TunnelError, match="MY_PASSPHRASE") as error:
        tunnel.secret("MY_PASSPHRASE")
    assert "hunter2" not in str(error.value)


def test_configuration_is_validated() -> None:
    with pytest.raises(ValueError, match="backend"):
        make(backend="telnet")
    with pytest.raises(ValueError, match="reuse_master_only"):
        make(reuse_master_only=True)
    with pytest.raises(ValueError, match="jump_host"):
        make(jump_host="bad host:xx")
    assert make(jump_host="bastion").parsed_jump_host() == ("alice", "bastion", 22)
    assert make(jump_host="bob@[::1]:2022").parsed_jump_host() == ("bob", "::1", 2022)


def test_auth_methods_describe_the_configuration() -> None:
    assert make(identity="/k", allow_agent=False).auth_methods() == ["publickey (key file /k)"]
    methods = make(password_env="PW").auth_methods()
    assert methods == [
        "publickey (ssh-agent)",
        "publickey (default keys ~/.ssh/id_*)",
        "password (from $PW)",
    ]


def test_openssh_commands_never_become_masters_and_never_open_direct_connections() -> None:
    tunnel = make(backend="openssh", jump_host="bastion:2022", identity="/k")
    driver = OpenSSHDriver(tunnel)
    argv = driver.ssh_argv()
    assert "ControlMaster=no" in argv
    assert "ProxyCommand=false" in argv
    assert not any(a.startswith("ProxyCommand=ssh") for a in argv)
    master = driver.master_command()
    assert master[-4:] == ["-M", "-N", "-f", "alice@login.example"]
    assert "BatchMode=yes" not in master
    hop = next(a for a in master if a.startswith("ProxyCommand="))
    assert "-W '[%h]:%p' alice@bastion" in hop
    assert "-p 2022 -i /k" in hop
    socket_path = control_path(tunnel)
    assert len(str(socket_path)) < 100
    assert (socket_path.parent.stat().st_mode & 0o777) == 0o700
    insecure = system_ssh_argv(make(insecure_skip_host_key_check=True))
    assert "StrictHostKeyChecking=no" in insecure


def test_import_is_cheap() -> None:
    code = "import sys, nr_tunnel; print(any(m in sys.modules for m in ('paramiko', 'fabric')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_tunnels_load_on_first_use_of_their_names() -> None:
    code = (
        "import sys, nr_tunnel\n"
        "heavy = ('nr_tunnel.ssh', 'nr_tunnel.local', 'subprocess', 'tarfile', 'dataclasses')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "tunnel = nr_tunnel.LocalTunnel(job_dir='/tmp')\n"
        "print(type(tunnel).__module__, 'nr_tunnel.local' in sys.modules)\n"
        "print('SSHTunnel' in dir(nr_tunnel), nr_tunnel.SSHTunnel.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "[]",
        "nr_tunnel.local True",
        "True nr_tunnel.ssh",
    ]
    with pytest.raises(AttributeError, match="no attribute 'SSHTunel'"):
        _ = nr_tunnel.SSHTunel  # type: ignore[attr-defined]


def test_public_api_is_exported() -> None:
    for name in nr_tunnel.__all__:
        assert getattr(nr_tunnel, name) is not None


def test_unreachable_host_fails_after_bounded_backoff() -> None:
    # port 9 (discard) on loopback: nothing listens there, so the connection is refused
    tunnel = make(host="127.0.0.1", port=9, connect_attempts=3, retry_backoff=0.05)
    started = time.monotonic()
    with pytest.raises(nr_tunnel.HostUnreachableError, match=r"127\.0\.0\.1:9"):
        tunnel.run("true")
    assert time.monotonic() - started >= 0.15  # two pauses: 0.05 + 0.1
    tunnel.cleanup()


def test_a_failed_connection_closes_its_jump_host_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nr_tunnel.fabric_driver import FabricDriver

    class FakeConnection:
        def __init__(self) -> None:
            self.closed = False

        def close(self) -> None:
            self.closed = True

    opened: list[FakeConnection] = []

    def make_connection(host: str, user: str, port: int, gateway: object) -> FakeConnection:
        if gateway is not None:
            raise nr_tunnel.AuthenticationError(f"{user}@{host}:{port}", [])
        opened.append(FakeConnection())
        return opened[-1]

    driver = FabricDriver(make(jump_host="bastion", connect_attempts=1))
    monkeypatch.setattr(driver, "_make_connection", make_connection)
    for _ in range(2):
        with pytest.raises(nr_tunnel.AuthenticationError):
            driver.connect()
    assert len(opened) == 2
    assert all(connection.closed for connection in opened)
