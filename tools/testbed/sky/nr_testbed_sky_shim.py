"""TEST-ONLY startup hook of the testbed's SkyPilot venv. Nothing in the product may rely on it.

tools/testbed/sky.sh copies it into the venv's site-packages with a ``nr_testbed_sky_shim.pth``
that imports it at every interpreter start. (A ``sitecustomize.py`` there would never run: the
venv is made from Debian's python3, whose own ``/usr/lib/python3.11/sitecustomize.py`` comes first
on ``sys.path``.) It exists because the testbed is offline:

1. Telemetry off for every Python process of this venv (API server, its workers and controllers,
   SDK clients), even one started without the testbed's environment.
2. Network probe redirect. Before every status check, SkyPilot 0.14's managed-jobs controller (and
   the cluster status refresh) HEADs ``https://8.8.8.8`` / ``https://1.1.1.1``
   (``sky.backends.backend_utils._TEST_IP_LIST``) and, offline, loops forever on "Network is not
   available". When ``SKY_NETCHECK_URL`` is set (sky.sh sets it to the local API server's
   ``/api/health``, for the server only), that list is replaced by this one loopback URL when the
   module is imported. Any HTTP answer passes: the sync check ignores the status, and the async
   one only raises on a connection error (the server answers HEAD with 405). Without the variable
   this hook changes nothing, so the stock behaviour stays observable.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types

for _key in ("SKYPILOT_DISABLE_USAGE_COLLECTION", "DO_NOT_TRACK", "SCARF_NO_ANALYTICS"):
    os.environ.setdefault(_key, "1")

_TARGET = "sky.backends.backend_utils"


class _NetcheckRedirect(importlib.abc.MetaPathFinder):
    """Patches ``_TEST_IP_LIST`` right after ``sky.backends.backend_utils`` executes."""

    def find_spec(
        self, name: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        url = os.environ.get("SKY_NETCHECK_URL")
        if name != _TARGET or not url:
            return None
        sys.meta_path.remove(self)  # find the real spec without recursing into this finder
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        real_exec = spec.loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            real_exec(module)
            module._TEST_IP_LIST = [url]  # type: ignore[attr-defined]

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if not any(isinstance(f, _NetcheckRedirect) for f in sys.meta_path):
    sys.meta_path.insert(0, _NetcheckRedirect())
