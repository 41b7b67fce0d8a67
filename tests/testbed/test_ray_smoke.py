"""Ray smoke test: submit a job through the Jobs REST API (urllib only) and read its logs."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from typing import Any

import pytest

pytestmark = pytest.mark.ray


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read().decode() or "null")


def test_ray_job_rest_api(testbed) -> None:
    base = testbed.ray_address.rstrip("/")
    sub = _call("POST", f"{base}/api/jobs/", {"entrypoint": "python -c 'print(6*7)'"})
    sid = sub["submission_id"]
    try:
        status = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = _call("GET", f"{base}/api/jobs/{sid}")["status"]
            if status in {"SUCCEEDED", "FAILED", "STOPPED"}:
                break
            time.sleep(0.5)
        assert status == "SUCCEEDED", status
        logs = _call("GET", f"{base}/api/jobs/{sid}/logs")["logs"]
        assert "42" in logs.split(), logs
    finally:
        if status not in {"SUCCEEDED", "FAILED", "STOPPED"}:
            _call("POST", f"{base}/api/jobs/{sid}/stop")
        with contextlib.suppress(OSError):
            _call("DELETE", f"{base}/api/jobs/{sid}")
