"""Griffe extension of the API reference: the Sphinx conventions of the sources, for mkdocstrings.

The docstrings are Google style, with Sphinx cross-reference roles here and there
(``:class:`~nr_exec.local.LocalBackend```). mkdocstrings would print those literally, so each
role is shown as code: the last part of the path with ``~`` (``LocalBackend``), else the path.
No cross-reference is made (a role may name a module path the reference does not render).

Module and class constants are documented Sphinx's way, by ``#:`` comment lines right above
the assignment; griffe reads no comments, so those lines become the attribute's docstring
(an attribute with a docstring of its own keeps it).
"""

import re
from pathlib import Path
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|exc|data|obj|const):`(~?)([^`<]+)`")
DOC_COMMENT = "#:"


def as_code(match: re.Match[str]) -> str:
    """The role of ``match`` as inline code."""
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def roles_as_code(docstring: griffe.Docstring) -> None:
    """Rewrite the Sphinx roles of ``docstring`` as inline code."""
    if ":`" in docstring.value:
        docstring.value = ROLE.sub(as_code, docstring.value)


def doc_comment(attr: griffe.Attribute) -> griffe.Docstring | None:
    """The ``#:`` lines right above ``attr``'s assignment, as its docstring (None if none)."""
    path = attr.filepath  # a list for a namespace package, which has no source lines
    if attr.lineno is None or not isinstance(path, Path) or path not in attr.lines_collection:
        return None
    lines = attr.lines_collection[path]
    first = attr.lineno - 1  # the 0-based index of the assignment's line
    while first > 0 and lines[first - 1].lstrip().startswith(DOC_COMMENT):
        first -= 1
    text = [
        lines[i].lstrip().removeprefix(DOC_COMMENT).removeprefix(" ")
        for i in range(first, attr.lineno - 1)
    ]
    if not text:
        return None
    return griffe.Docstring(
        "\n".join(text), lineno=first + 1, endlineno=attr.lineno - 1, parent=attr
    )


class SphinxConventions(griffe.Extension):
    """Shows Sphinx roles as code and ``#:`` comments as the docstrings of attributes."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one."""
        del kwargs
        if obj.docstring is not None:
            roles_as_code(obj.docstring)

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        """Give ``attr`` the docstring of its ``#:`` comment, when it has no docstring."""
        del kwargs
        if attr.docstring is None and (docstring := doc_comment(attr)) is not None:
            attr.docstring = docstring
            roles_as_code(docstring)
