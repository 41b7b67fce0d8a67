"""Rich tree, rich diff table and graphviz views (issue point 5)."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys

import nr_config as nc
import pytest
from rich.console import Console


@dataclasses.dataclass
class Layer:
    size: int = 1


def render(renderable: object) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_rich_tree_lists_arguments_and_shared_nodes() -> None:
    shared = nc.Config(Layer, size=3)
    cfg = nc.Config(dict, a=shared, b=[shared], c="text")
    text = render(cfg)
    assert "Config[dict]" in text
    assert "a = Config[Layer]" in text
    assert "size = 3" in text
    assert "shared, shown above" in text
    assert "c = 'text'" in text


def test_rich_diff_table() -> None:
    changes = nc.diff(nc.Config(Layer, size=1), nc.Config(Layer, size=2))
    text = render(nc.render_diff(changes))
    assert "size" in text
    assert "1" in text
    assert "2" in text


@pytest.mark.skipif(importlib.util.find_spec("graphviz") is None, reason="graphviz not installed")
def test_visualize_builds_a_graph() -> None:
    shared = nc.Config(Layer, size=3)
    graph = nc.Config(dict, a=shared, b=[shared], c=1).visualize()
    source = graph.source
    assert "Config[dict]" in source
    assert "size = 3" in source
    assert source.count("Config[Layer]") == 1
    assert "b[0]" in source


def test_missing_extra_has_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes "import graphviz" fail
    with pytest.raises(nc.MissingExtraError, match=r"nr-config\[graphviz\]"):
        nc.Config(Layer).visualize()
