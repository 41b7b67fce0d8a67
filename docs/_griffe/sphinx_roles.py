"""Griffe extension of the API reference: the docstrings' Sphinx roles become inline code.

The docstrings are Google style, with Sphinx cross-reference roles here and there
(``:class:`~nr_exec.local.LocalBackend```). mkdocstrings would print those literally, so each
role is shown as code: the last part of the path with ``~`` (``LocalBackend``), else the path.
No cross-reference is made (a role may name a module path the reference does not render).
"""

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|exc|data|obj|const):`(~?)([^`<]+)`")


def as_code(match: re.Match[str]) -> str:
    """The role of ``match`` as inline code."""
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


class SphinxRolesAsCode(griffe.Extension):
    """Rewrites the Sphinx roles of every docstring as inline code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one."""
        del kwargs
        if obj.docstring is not None and ":`" in obj.docstring.value:
            obj.docstring.value = ROLE.sub(as_code, obj.docstring.value)
