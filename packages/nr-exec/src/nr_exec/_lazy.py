"""Names of a package imported from their modules on first access (PEP 562).

A package keeps its import cheap by naming where each export lives instead of importing it::

    __getattr__, __dir__ = lazy_exports(
        __name__, {"LocalBackend": "nr_exec.local.backend"}, __all__
    )

Type checkers and IDEs do not run ``__getattr__``: the package also imports the same names
under ``if TYPE_CHECKING:``.
"""

import importlib
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence


def lazy_exports(
    package: str, origins: "Mapping[str, str]", public: "Sequence[str]"
) -> "tuple[Callable[[str], object], Callable[[], list[str]]]":
    """The module ``__getattr__`` and ``__dir__`` of ``package``.

    Args:
        package: The package's ``__name__``.
        origins: Each lazily exported name, and the module (full dotted path) defining it.
        public: The package's ``__all__``, which ``dir(package)`` lists.

    Returns:
        ``__getattr__``, which imports a name's module on first access and keeps the value in
        the package (later accesses do not reach it), and ``__dir__``.
    """

    def __getattr__(name: str) -> object:  # noqa: N807 - the module hook's own name
        module = origins.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the module hook's own name
        return sorted(public)

    return __getattr__, __dir__
