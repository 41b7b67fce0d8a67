"""Import references (``module:qualname``) to classes and functions, and their resolution.

References are written as ``module:qualname`` (unambiguous), or on request in the dotted form
``module.qualname`` that NeMo-Run and Hydra write; both forms are read. Resolution imports exactly
the module a reference names (for a dotted reference: the longest importable prefix) and follows
attributes; it never evaluates code. Targets defined in ``__main__`` are recorded as
``__main__:qualname``; when loading in another process, pass ``main_module=`` (a module, or the
path of a saved copy of the launching script) or register one with `register_main_module`.

This module imports only cheap parts of the standard library: the in-job runner's lean decoder
(`nr_config.serialization.direct`) resolves references through it.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MainModule",
    "loading_main_module",
    "reference",
    "register_main_module",
    "resolve",
]

#: What ``__main__`` means when loading: a module, the path of a saved launching script, or None.
MainModule = types.ModuleType | str | os.PathLike[str] | None
_registered_main: types.ModuleType | None = None
# Saved launching scripts already executed, by their resolved path.
_loaded_files: dict[str, types.ModuleType] = {}
# Names of the modules that stand for ``__main__``: the running one and every loaded saved copy.
_main_names: set[str] = {"__main__"}
# Depth of saved launching scripts being executed right now (their top-level code is running).
_loading_depth = 0


def loading_main_module() -> bool:
    """Return True while a saved copy of a launching script runs its top-level code.

    Upper layers use it to refuse launching from that code: a script without an
    ``if __name__ == "__main__":`` guard would otherwise launch again from inside its own job.
    """
    return _loading_depth > 0


def reference(obj: Any, *, dotted: bool = False) -> str | None:
    """Return ``module:qualname`` for an importable class or function, or None.

    The reference is returned only if resolving it gives back the very same object, so local
    functions, lambdas and shadowed names are refused. Objects of a loaded copy of a launching
    script are recorded as ``__main__:qualname``, like those of the running ``__main__``.

    Args:
        obj: The class or function.
        dotted: Write ``module.qualname`` (NeMo-Run's and Hydra's form) instead.
    """
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    loaded = sys.modules.get(module)
    if loaded is None:
        return None
    found: Any = loaded
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is not obj:
        return None
    separator = "." if dotted else ":"
    return f"{'__main__' if module in _main_names else module}{separator}{qualname}"


def register_main_module(module: MainModule) -> None:
    """Use `module` to resolve ``__main__:...`` references from now on (None clears it).

    Args:
        module: A module object, or the path of a Python file (a saved copy of the launching
            script) that is executed once, under a private module name derived from its path,
            to provide the names.
    """
    global _registered_main  # noqa: PLW0603 - a process-wide hook by design
    _registered_main = None if module is None else _as_module(module)


def _as_module(module: types.ModuleType | str | os.PathLike[str]) -> types.ModuleType:
    if isinstance(module, types.ModuleType):
        return module
    import hashlib  # noqa: PLC0415 - only a saved launching script needs these
    import importlib.util  # noqa: PLC0415

    path = os.path.realpath(module)
    if path in _loaded_files:
        return _loaded_files[path]
    name = f"__nr_main_{hashlib.sha256(path.encode()).hexdigest()[:16]}__"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as the __main__ module")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    _main_names.add(name)
    global _loading_depth  # noqa: PLW0603 - process-wide, like the module registry itself
    _loading_depth += 1
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        _loading_depth -= 1
    _loaded_files[path] = loaded
    return loaded


def resolve(ref: str, main_module: MainModule = None) -> Any:
    """Return the object named by ``module:qualname`` or by the dotted ``module.qualname``.

    A dotted reference is split at the longest prefix that is an importable module, so
    ``pkg.models.Model`` and ``pkg.models.Outer.Inner`` both resolve; ``__main__.name`` is looked
    up like ``__main__:name``.

    Args:
        ref: The reference.
        main_module: What ``__main__`` means here (default: the registered main module, else the
            running ``__main__``).

    Returns:
        The class or function.

    Raises:
        ImportError: The module cannot be imported or does not define the name.
        ValueError: `ref` is neither ``module:qualname`` nor ``module.qualname``.
    """
    module_name, sep, qualname = ref.partition(":")
    if not sep:
        module_name, qualname = _split_dotted(ref)
    if not module_name or not qualname:
        raise ValueError(
            f"invalid reference {ref!r}; expected 'module:qualname' or 'module.qualname'"
        )
    if module_name == "__main__":
        if main_module is not None:
            module = _as_module(main_module)
        else:
            module = _registered_main or sys.modules["__main__"]
    else:
        module = importlib.import_module(module_name)
    found: Any = module
    for part in qualname.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            hint = ""
            if module_name == "__main__":
                hint = (
                    "; it was defined in the launching script: pass main_module=<saved copy of "
                    "that script> or call register_main_module()"
                )
            raise ImportError(f"{module_name!r} has no attribute {qualname!r}{hint}") from None
    return found


def _split_dotted(ref: str) -> tuple[str, str]:
    """Split ``a.b.C.D`` into (longest importable module, rest); ('', '') when nothing imports."""
    parts = ref.split(".")
    if len(parts) < 2 or not all(parts):
        return "", ""
    if parts[0] == "__main__":
        return "__main__", ".".join(parts[1:])
    for end in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:end])
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            missing = error.name or ""
            if module_name == missing or module_name.startswith(f"{missing}."):
                continue  # this prefix is no module: try a shorter one
            raise
        return module_name, ".".join(parts[end:])
    raise ImportError(f"no module of {ref!r} can be imported (tried every dotted prefix)")
