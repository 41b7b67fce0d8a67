"""Human-facing views: a rich tree, a rich diff table and a graphviz graph (optional extras)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from nr_config.buildable import Buildable, Partial
from nr_config.diffing import MISSING, Change
from nr_config.errors import MissingExtraError
from nr_config.signatures import target_name

__all__ = ["render_diff", "tree", "visualize"]


def _missing(module: str, extra: str) -> MissingExtraError:
    return MissingExtraError(
        f"this view needs the optional dependency {module!r}; install it with "
        f"pip install 'nemo-run[{extra}]' (without the nemo-run façade: "
        f"pip install 'nr-config[{extra}]')"
    )


def _rich() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        import rich.table  # noqa: PLC0415 - optional extra, imported on use
        import rich.text  # noqa: PLC0415
        import rich.tree  # noqa: PLC0415
    except ImportError:
        raise _missing("rich", "rich") from None
    return rich.tree, rich.text, rich.table


def _graphviz() -> ModuleType:
    try:
        import graphviz  # type: ignore[import-untyped]  # noqa: PLC0415 - optional extra
    except ImportError:
        raise _missing("graphviz", "graphviz") from None
    module: ModuleType = graphviz
    return module


def _label(node: Buildable[Any]) -> str:
    return f"{type(node).__name__}[{target_name(node.__fn_or_cls__)}]"


def tree(value: Any, *, label: str = "") -> Any:
    """Return a ``rich.tree.Tree`` of a configuration graph (needs the ``rich`` extra).

    Args:
        value: A configuration or any value.
        label: Text shown before the root (e.g. a variable name).

    Raises:
        MissingExtraError: rich is not installed.
    """
    rich_tree, rich_text, _ = _rich()
    root = rich_tree.Tree(
        rich_text.Text(f"{label}: " if label else "") + _summary(value, rich_text)
    )
    _grow(root, value, set(), rich_tree, rich_text)
    return root


def _summary(value: Any, rich_text: Any) -> Any:
    if isinstance(value, Buildable):
        return rich_text.Text(_label(value), style="bold cyan")
    if isinstance(value, (list, tuple, dict)) and value:
        return rich_text.Text(type(value).__name__, style="magenta")
    return rich_text.Text(repr(value), style="green")


def _grow(branch: Any, value: Any, seen: set[int], rich_tree: Any, rich_text: Any) -> None:
    if isinstance(value, Buildable):
        if id(value) in seen:
            branch.add(rich_text.Text("(shared, shown above)", style="dim"))
            return
        seen.add(id(value))
        items: list[tuple[str, Any]] = list(value.__arguments__.items())
    elif isinstance(value, (list, tuple)):
        items = [(f"[{i}]", item) for i, item in enumerate(value)]
    elif isinstance(value, dict):
        items = [(f"[{key!r}]", item) for key, item in value.items()]
    else:
        return
    for name, item in items:
        child = branch.add(rich_text.Text(f"{name} = ", style="bold") + _summary(item, rich_text))
        _grow(child, item, seen, rich_tree, rich_text)


def render_diff(changes: list[Change]) -> Any:
    """Return a ``rich.table.Table`` of changes (path, old, new); needs the ``rich`` extra."""
    _, _, rich_table = _rich()
    table = rich_table.Table(title="Configuration changes")
    table.add_column("", width=1)
    table.add_column("path", style="bold")
    table.add_column("old", style="red")
    table.add_column("new", style="green")
    marks = {"added": "+", "removed": "-", "changed": "~"}
    for change in changes:
        old = "" if change.old is MISSING else repr(change.old)
        new = "" if change.new is MISSING else repr(change.new)
        table.add_row(marks[change.kind], change.path or "<root>", old, new)
    return table


def visualize(value: Any) -> Any:
    """Return a ``graphviz.Digraph`` of a configuration graph (needs the ``graphviz`` extra).

    Each configuration is one node listing its plain arguments; arguments holding other
    configurations are edges, so shared configurations appear once with several incoming edges.

    Raises:
        MissingExtraError: the graphviz Python package is not installed.
    """
    graphviz = _graphviz()
    graph = graphviz.Digraph(graph_attr={"rankdir": "LR"}, node_attr={"shape": "record"})
    names: dict[int, str] = {}

    def add(node: Buildable[Any]) -> str:
        if id(node) in names:
            return names[id(node)]
        name = f"n{len(names)}"
        names[id(node)] = name
        fields = [_label(node)]
        edges: list[tuple[str, Buildable[Any]]] = []
        for key, item in node.__arguments__.items():
            for path, child in _children(key, item):
                edges.append((path, child))
            if not _holds_node(item):
                fields.append(f"{key} = {item!r}")
        style = "filled" if isinstance(node, Partial) else ""
        graph.node(name, label=_escape(fields), style=style, fillcolor="lightyellow")
        for path, child in edges:
            graph.edge(name, add(child), label=path)
        return name

    for _, child in _children("", value):
        add(child)
    return graph


def _children(path: str, value: Any) -> list[tuple[str, Buildable[Any]]]:
    if isinstance(value, Buildable):
        return [(path, value)]
    if isinstance(value, (list, tuple)):
        return [pair for i, item in enumerate(value) for pair in _children(f"{path}[{i}]", item)]
    if isinstance(value, dict):
        return [pair for k, item in value.items() for pair in _children(f"{path}[{k!r}]", item)]
    return []


def _holds_node(value: Any) -> bool:
    return bool(_children("", value))


def _escape(fields: list[str]) -> str:
    table = str.maketrans({c: f"\\{c}" for c in "{}|<>"})
    return "{" + "|".join(field.translate(table) for field in fields) + "}"
