"""The marker base of configuration nodes, importable by every module without cycles."""

from __future__ import annotations

__all__ = ["Node"]


class Node:
    """Base of `Buildable`: lets low-level modules recognise configuration nodes.

    Subclasses report what building them produces through `result_type`.
    """

    __slots__ = ()

    def result_type(self) -> type | None:
        """Return the type that building this node produces, or None when it is not known."""
        return None
