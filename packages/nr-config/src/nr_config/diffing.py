"""Structured differences between two configuration graphs."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Final, Literal

from nr_config.buildable import Buildable
from nr_config.errors import join_path

__all__ = ["MISSING", "Change", "diff", "format_diff"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final[Any] = _Missing()
"""Stands for the absent side of an added or removed value in a `Change`."""


@dataclasses.dataclass(frozen=True)
class Change:
    """One difference: the value at `path` went from `old` to `new`.

    Attributes:
        path: Where the change is, e.g. ``model.hidden_size`` or ``layers[2]``.
        old: The old value (`MISSING` when the value was added).
        new: The new value (`MISSING` when the value was removed).
    """

    path: str
    old: Any
    new: Any

    @property
    def kind(self) -> Literal["added", "removed", "changed"]:
        """``"added"``, ``"removed"`` or ``"changed"``."""
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"

    def __str__(self) -> str:
        where = self.path or "<root>"
        if self.kind == "added":
            return f"+ {where}: {self.new!r}"
        if self.kind == "removed":
            return f"- {where}: {self.old!r}"
        return f"~ {where}: {self.old!r} -> {self.new!r}"


def diff(old: Any, new: Any) -> list[Change]:
    """Return the changes that turn `old` into `new`, in graph order.

    Configurations with the same class and target are compared argument by argument; lists and
    tuples item by item (extra items are added or removed); dicts key by key. A changed target or
    type is reported as one change of the whole value.

    Args:
        old: The old configuration (or any value).
        new: The new configuration (or any value).

    Returns:
        The changes; empty when the two graphs are equal.
    """
    changes: list[Change] = []
    _diff(old, new, "", changes)
    return changes


def _same_leaf(old: Any, new: Any) -> bool:
    if type(old) is not type(new):
        return False
    if isinstance(old, float) and math.isnan(old) and math.isnan(new):
        return True
    try:
        return bool(old == new)
    except Exception:  # noqa: BLE001 - objects whose comparison fails count as different
        return False


def _diff(old: Any, new: Any, path: str, changes: list[Change]) -> None:
    if old is new:
        return
    if (
        isinstance(old, Buildable)
        and type(old) is type(new)
        and old.__fn_or_cls__ == new.__fn_or_cls__
    ):
        before, after = old.__arguments__, new.__arguments__
        for name in [*before, *(n for n in after if n not in before)]:
            _item(
                before.get(name, MISSING), after.get(name, MISSING), join_path(path, name), changes
            )
    elif isinstance(old, (list, tuple)) and type(old) is type(new):
        for index in range(max(len(old), len(new))):
            left = old[index] if index < len(old) else MISSING
            right = new[index] if index < len(new) else MISSING
            _item(left, right, f"{path}[{index}]", changes)
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            _item(old.get(key, MISSING), new.get(key, MISSING), f"{path}[{key!r}]", changes)
    elif not _same_leaf(old, new):
        changes.append(Change(path, old, new))


def _item(old: Any, new: Any, path: str, changes: list[Change]) -> None:
    if old is MISSING or new is MISSING:
        changes.append(Change(path, old, new))
    else:
        _diff(old, new, path, changes)


def format_diff(changes: list[Change]) -> str:
    """Render changes as plain text, one line per change (``~``, ``+`` or ``-`` first)."""
    return "\n".join(str(change) for change in changes)
