"""Human-facing views: a rich tree, a rich diff table, a graphviz graph and its images, HTML.

The rich views need the ``rich`` extra, the graph the ``graphviz`` extra (and images Graphviz's
``dot`` program); `to_html` needs nothing.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from nr_config.buildable import Buildable, Partial
from nr_config.diffing import MISSING, Change
from nr_config.errors import MissingExtraError, RenderError
from nr_config.signatures import target_name

__all__ = ["render_diff", "save_config_img", "to_html", "to_svg", "tree", "visualize"]


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


def visualize(
    value: Any,
    *,
    max_depth: int | None = None,
    max_str_length: int | None = 80,
    curved_edges: bool = False,
    rankdir: str = "LR",
) -> Any:
    """Return a ``graphviz.Digraph`` of a configuration graph (needs the ``graphviz`` extra).

    Each configuration is one node listing its plain arguments; arguments holding other
    configurations are edges, so shared configurations appear once with several incoming edges.

    Args:
        value: A configuration or a container of configurations.
        max_depth: Draw configurations at most this many edges below the root; deeper ones are
            summarized as ``Config[Name](...)`` in their parent's node. None draws everything.
        max_str_length: Shorten the text of each plain argument to this many characters (None
            keeps it whole).
        curved_edges: Draw curved edges instead of straight ones.
        rankdir: Graphviz layout direction (``LR`` left to right, ``TB`` top to bottom).

    Raises:
        MissingExtraError: the graphviz Python package is not installed.
    """
    graphviz = _graphviz()
    graph = graphviz.Digraph(
        graph_attr={"rankdir": rankdir, "splines": "curved" if curved_edges else "line"},
        node_attr={"shape": "record"},
    )
    names: dict[int, str] = {}

    def add(node: Buildable[Any], depth: int) -> str:
        if id(node) in names:
            return names[id(node)]
        name = f"n{len(names)}"
        names[id(node)] = name
        fields = [_label(node)]
        edges: list[tuple[str, Buildable[Any]]] = []
        deep = max_depth is not None and depth >= max_depth
        for key, item in node.__arguments__.items():
            if deep or not _holds_node(item):
                fields.append(_shorten(f"{key} = {item!r}", max_str_length))
            else:
                edges.extend(_children(key, item))
        style = "filled" if isinstance(node, Partial) else ""
        graph.node(name, label=_escape(fields), style=style, fillcolor="lightyellow")
        for path, child in edges:
            graph.edge(name, add(child, depth + 1), label=path)
        return name

    for _, child in _children("", value):
        add(child, 0)
    return graph


def _shorten(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 3, 0)] + "..."


def to_svg(value: Any, **options: Any) -> str | None:
    """Return the SVG text of `visualize(value, **options)`, or None when it cannot be drawn.

    None (rather than an error) lets Jupyter fall back to the HTML or text view when the
    ``graphviz`` extra or Graphviz's ``dot`` program is missing.
    """
    try:
        graphviz = _graphviz()
    except MissingExtraError:
        return None
    try:
        svg: bytes = visualize(value, **options).pipe(format="svg")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError):
        return None
    return svg.decode("utf-8")


def save_config_img(value: Any, path: str | os.PathLike[str] = ".", **options: Any) -> Path:
    """Write the graph of `visualize(value, **options)` as a PNG image.

    Args:
        value: A configuration or a container of configurations.
        path: The ``.png`` file to write, or a directory (then ``<path>/config.png``).
        **options: Options of `visualize`.

    Returns:
        The written image.

    Raises:
        RenderError: `path` has a suffix other than ``.png``.
        MissingExtraError: the graphviz Python package or Graphviz's ``dot`` program is missing.
    """
    target = Path(path)
    if not target.suffix:
        target = target / "config.png"
    elif target.suffix.lower() != ".png":
        raise RenderError(
            f"save_config_img writes PNG images: give a path ending in .png or a directory, "
            f"got {os.fspath(path)!r}"
        )
    graphviz = _graphviz()
    try:
        image: bytes = visualize(value, **options).pipe(format="png")
    except graphviz.ExecutableNotFound as error:
        raise MissingExtraError(
            "saving an image needs Graphviz's 'dot' program on PATH (the Python package is "
            "installed); install Graphviz, e.g. apt install graphviz or conda install graphviz"
        ) from error
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(image)
    return target


def to_html(value: Any, *, graph: bool = False) -> str:
    """Return an HTML view of a configuration graph: nested lists, no extra needed.

    Args:
        value: A configuration or any value.
        graph: Embed the SVG graph (`to_svg`) instead when it can be drawn; this is what
            Jupyter shows (``_repr_html_``).
    """
    svg = to_svg(value) if graph else None
    if svg is not None:
        return f'<div class="nr-config">{svg[svg.find("<svg") :]}</div>'
    return f'<div class="nr-config">{_html_item("", value, set())}</div>'


def _html_item(name: str, value: Any, seen: set[int]) -> str:
    prefix = f"<b>{html.escape(name)}</b> = " if name else ""
    if isinstance(value, Buildable):
        label = f"{prefix}<code>{html.escape(_label(value))}</code>"
        if id(value) in seen:
            return f"{label} <i>(shared, shown above)</i>"
        seen.add(id(value))
        items: list[tuple[str, Any]] = list(value.__arguments__.items())
    elif isinstance(value, (list, tuple, dict)) and value:
        label = f"{prefix}<code>{type(value).__name__}</code>"
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        items = [(f"[{key!r}]", item) for key, item in pairs]
    else:
        return f"{prefix}<code>{html.escape(repr(value))}</code>"
    rows = "".join(f"<li>{_html_item(key, item, seen)}</li>" for key, item in items)
    return f"{label}<ul>{rows}</ul>" if rows else label


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
