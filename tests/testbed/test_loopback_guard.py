"""The root conftest's loopback guard refuses non-loopback connects and lets loopback/unix through."""

from __future__ import annotations

import contextlib
import socket

import pytest


@pytest.mark.parametrize("addr", [("192.0.2.1", 9), ("10.1.2.3", 9)])
def test_non_loopback_connect_is_refused(addr: tuple[str, int]) -> None:
    with pytest.raises(OSError, match="loopback guard"):
        socket.create_connection(addr, timeout=1)
    with contextlib.closing(socket.socket()) as s, pytest.raises(OSError, match="loopback guard"):
        s.connect_ex(addr)


def test_ipv6_non_loopback_is_refused() -> None:
    with (
        contextlib.closing(socket.socket(socket.AF_INET6)) as s,
        pytest.raises(OSError, match="loopback guard"),
    ):
        s.connect(("2001:db8::1", 9))


def test_loopback_and_unix_are_allowed(tmp_path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as srv:
        port = srv.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        with socket.create_connection(("localhost", port), timeout=5):
            pass
    with (
        contextlib.closing(socket.socket(socket.AF_UNIX)) as s,
        pytest.raises(FileNotFoundError) as err,
    ):
        s.connect(str(tmp_path / "missing.sock"))
    assert "loopback guard" not in str(err.value)
