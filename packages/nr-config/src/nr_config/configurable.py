"""`ConfigurableMixin`: what executors, packagers and scripts share to describe themselves.

A dataclass that inherits it gets ``to_config()`` (its `Config`, so it can be saved, edited and
rebuilt), ``diff(old)`` (the changes between two of them) and Jupyter views. The mixin adds no
fields and no state, so any dataclass (frozen, slotted, keyword-only) can use it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from nr_config.buildable import Config, dataclass_to_config, to_config

if TYPE_CHECKING:
    from nr_config.diffing import Change

__all__ = ["ConfigurableMixin"]


class ConfigurableMixin:
    """Mixin for dataclasses that describe themselves as configurations.

    Example:
        ```py
        @dataclasses.dataclass
        class MyExecutor(run.ConfigurableMixin):
            nodes: int = 1


        cfg = MyExecutor(nodes=2).to_config()  # Config[MyExecutor](nodes=2)
        assert cfg.build() == MyExecutor(nodes=2)
        ```
    """

    __slots__ = ()

    def to_config(self) -> Config[Any]:
        """Return ``Config(type(self), **init_fields)``; building it gives back an equal object.

        Fields with ``init=False`` are left out; field values that are dataclasses or have their
        own ``to_config()`` become nested configurations.

        Raises:
            NotImplementedError: The class is not a dataclass; it must override this method.
        """
        instance: Any = self  # a subclass, which may or may not be a dataclass
        if not dataclasses.is_dataclass(instance):
            raise NotImplementedError(
                f"{type(self).__qualname__} is not a dataclass: override to_config() to return "
                "the Config that rebuilds it"
            )
        return dataclass_to_config(instance)

    def diff(self, old: Any) -> list[Change]:
        """Return the changes from `old` (an object or a configuration) to this object.

        Both sides are compared as configurations (see `nr_config.diff`).
        """
        from nr_config.diffing import diff  # noqa: PLC0415 - diffing imports buildable

        return diff(to_config(old), self.to_config())

    def _repr_svg_(self) -> str | None:
        """Jupyter's SVG view of `to_config()`; None when graphviz or ``dot`` is missing."""
        from nr_config.render import to_svg  # noqa: PLC0415 - optional extra

        return to_svg(self.to_config())
