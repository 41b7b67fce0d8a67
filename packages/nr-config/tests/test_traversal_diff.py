"""clone, equality, repr, walk, broadcast and diff (issue point 5)."""

from __future__ import annotations

import dataclasses

import nr_config as nc
import pytest


@dataclasses.dataclass
class Layer:
    size: int = 1
    dropout: float = 0.0


def stack(layers: list[Layer], head: Layer, extra: dict[str, Layer] | None = None) -> list[Layer]:
    del extra
    return [*layers, head]


def make() -> nc.Config[list[Layer]]:
    shared = nc.Config(Layer, size=2)
    return nc.Config(
        stack, layers=[shared, nc.Config(Layer)], head=shared, extra={"e": nc.Config(Layer)}
    )


def test_clone_is_deep_equal_and_keeps_sharing() -> None:
    cfg = make()
    copy = cfg.clone()
    assert copy == cfg
    assert copy is not cfg
    assert copy.head is copy.layers[0]
    assert copy.head is not cfg.head
    copy.head.size = 5
    assert cfg.head.size == 2


def test_equality_and_repr() -> None:
    assert nc.Config(Layer, size=1) == nc.Config(Layer, size=1)
    assert nc.Config(Layer, size=1) != nc.Config(Layer, size=2)
    assert nc.Config(Layer, size=1) != nc.Partial(Layer, size=1)
    assert repr(nc.Config(Layer, size=3)) == "Config[Layer](size=3)"
    assert repr(nc.Partial(Layer)) == "Partial[Layer]()"


def test_walk_returns_new_graph_and_passes_values() -> None:
    cfg = make()
    seen: list[int] = []

    def double(value: int) -> int:
        seen.append(value)
        return value * 2

    walked = nc.walk(cfg, size=double)
    assert cfg == make()  # the original is untouched
    assert sorted(seen) == [1, 1, 2]  # shared node visited once; unset size uses the default
    assert walked.layers[0].size == 4
    assert walked.layers[1].size == 2
    assert walked.extra["e"].size == 2
    assert walked.head is walked.layers[0]
    assert nc.walk(cfg, size=double) == walked


def test_walk_in_place() -> None:
    cfg = make()
    result = nc.walk(cfg, inplace=True, size=lambda v: v + 1)
    assert result is cfg
    assert cfg.head.size == 3


def test_broadcast_descends_into_containers() -> None:
    cfg = make()
    out = cfg.broadcast(dropout=0.5)
    assert [layer.dropout for layer in out.layers] == [0.5, 0.5]
    assert out.extra["e"].dropout == 0.5
    assert "dropout" not in cfg.layers[0].__arguments__
    assert "dropout" not in out.__arguments__  # stack has no dropout parameter
    with pytest.raises(nc.ConfigTypeError) as info:
        nc.broadcast(cfg, dropout="x")
    assert info.value.path.endswith("dropout")


def test_diff_reports_structured_changes() -> None:
    old = make()
    new = old.clone()
    new.head.size = 3
    new.layers.append(nc.Config(Layer))
    new.extra = {"e": nc.Config(Layer, dropout=0.1)}
    changes = nc.diff(old, new)
    by_path = {c.path: c for c in changes}
    assert by_path["layers[0].size"].old == 2
    assert by_path["layers[0].size"].new == 3
    assert by_path["layers[2]"].kind == "added"
    assert by_path["extra['e'].dropout"].kind == "added"
    assert "head.size" in by_path
    assert new.diff(old) == changes
    assert nc.diff(old, old.clone()) == []
    text = nc.format_diff(changes)
    assert "~ layers[0].size: 2 -> 3" in text


def test_diff_of_different_targets_and_removed() -> None:
    old = nc.Config(dict, layers=[], head=nc.Config(Layer))
    new = nc.Config(dict, layers=[], head=nc.Config(dict))
    (change,) = nc.diff(old, new)
    assert change.path == "head"
    removed = nc.diff(nc.Config(Layer, size=1), nc.Config(Layer))
    assert removed == [nc.Change("size", 1, nc.MISSING)]
    assert removed[0].kind == "removed"
    assert str(removed[0]) == "- size: 1"


def test_iter_nodes_yields_each_node_once() -> None:
    paths = [path for path, _ in nc.iter_nodes(make())]
    assert paths == ["", "layers[0]", "layers[1]", "extra['e']"]
