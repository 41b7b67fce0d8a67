"""Issue 15 item 11: NeMo-Run's `LocalTunnel.put/get(p, p)` and `SSHTunnel.setup()` behaviour."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from nr_tunnel import LocalTunnel, SSHTunnel, TunnelError


def test_local_put_and_get_of_one_path_are_no_ops(tmp_path: Path) -> None:
    tunnel = LocalTunnel(job_dir=str(tmp_path))
    script = tmp_path / "job" / "run.sh"
    script.parent.mkdir()
    script.write_text("echo hi\n", encoding="utf-8")
    before = script.stat().st_mtime_ns
    tunnel.put(str(script), str(script))
    tunnel.get(str(script), str(script))
    tunnel.put(script.parent, str(script.parent))
    assert script.read_text(encoding="utf-8") == "echo hi\n"
    assert script.stat().st_mtime_ns == before
    assert sorted(p.name for p in script.parent.iterdir()) == ["run.sh"]
    missing = str(tmp_path / "not-written-yet.json")  # equal paths: not even looked at
    tunnel.put(missing, missing)
    tunnel.get(missing, missing)
    assert not Path(missing).exists()
    tunnel.setup()  # NeMo-Run's LocalTunnel.setup() does nothing either


@pytest.mark.ssh
def test_ssh_setup_creates_the_job_directory(
    make_tunnel: Callable[..., SSHTunnel], login: str, backend: str
) -> None:
    probe = make_tunnel(login, backend=backend)
    base = probe.run(["mktemp", "-d", "/tmp/nr-tunnel-setup.XXXXXX"]).stdout.strip()
    try:
        job_dir = f"{base}/experiments/my exp"
        tunnel = make_tunnel(login, backend=backend, job_dir=job_dir)
        assert not tunnel.exists(job_dir)
        tunnel.setup()
        tunnel.setup()  # like `mkdir -p`: an existing directory is fine
        assert tunnel.run(["test", "-d", job_dir], warn=True).exit_code == 0
        assert tunnel.run(["stat", "-c", "%U", job_dir]).stdout.strip() == tunnel.user
    finally:
        probe.run(["rm", "-rf", "--", base], warn=True)


def test_ssh_setup_without_a_job_directory_says_so() -> None:
    tunnel = SSHTunnel(host="cluster.example", user="me", job_dir="")
    with pytest.raises(TunnelError, match="job_dir is empty"):
        tunnel.setup()
