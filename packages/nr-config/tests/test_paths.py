"""Nested edits by attribute and by path string (issue point 3)."""

from __future__ import annotations

import dataclasses

import nr_config as nc
import pytest


@dataclasses.dataclass
class Layer:
    size: int = 1


@dataclasses.dataclass
class Model:
    layers: list[Layer] = dataclasses.field(default_factory=list)
    pair: tuple[Layer, int] | None = None
    named: dict[str, Layer] = dataclasses.field(default_factory=dict)
    hidden_size: int = 8


def make() -> nc.Config[dict[str, object]]:
    model = nc.Config(
        Model,
        layers=[nc.Config(Layer), nc.Config(Layer, size=2)],
        pair=(nc.Config(Layer), 1),
        named={"enc": nc.Config(Layer)},
    )
    return nc.Config(dict, model=model)


def test_attribute_edit() -> None:
    cfg = make()
    cfg.model.hidden_size = 1024
    assert cfg.build()["model"].hidden_size == 1024


def test_set_value_into_list_tuple_and_dict_configs() -> None:
    cfg = make()
    nc.set_value(cfg, "model.layers[0].size", 3)
    nc.set_value(cfg, "model.pair[0].size", 4)
    nc.set_value(cfg, 'model.named["enc"].size', 5)
    nc.set_value(cfg, "model.layers[-1].size", 6)
    built = cfg.build()["model"]
    assert [layer.size for layer in built.layers] == [3, 6]
    assert built.pair[0].size == 4
    assert built.named["enc"].size == 5
    assert nc.get_value(cfg, "model.named['enc'].size") == 5


def test_set_value_replaces_container_items() -> None:
    cfg = make()
    nc.set_value(cfg, "model.pair[1]", 9)
    assert cfg.model.pair[1] == 9
    assert isinstance(cfg.model.pair, tuple)
    nc.set_value(cfg, "model.layers[1]", Layer(size=7))  # a dataclass instance becomes a Config
    assert cfg.model.layers[1] == nc.Config(Layer, size=7)
    nc.set_value(cfg, 'model.named["dec"]', nc.Config(Layer))
    assert set(cfg.model.named) == {"enc", "dec"}


def test_set_value_validates_with_full_path() -> None:
    cfg = make()
    with pytest.raises(nc.ConfigTypeError) as info:
        nc.set_value(cfg, "model.pair[1]", "x")
    assert info.value.path == "model.pair[1]"
    assert cfg.model.pair[1] == 1  # unchanged after the failed edit


def test_get_value_defaults_and_errors() -> None:
    cfg = make()
    assert nc.get_value(cfg, "model.hidden_size") == 8
    with pytest.raises(nc.ConfigPathError):
        nc.get_value(cfg, "model.layers[5]")
    with pytest.raises(nc.ConfigPathError):
        nc.get_value(cfg, "model.nope")
    with pytest.raises(nc.ConfigPathError, match="invalid path"):
        nc.parse_path("model..x")
    with pytest.raises(nc.ConfigPathError):
        nc.set_value([1], "[0]", 2)


def test_parse_path_steps() -> None:
    steps = nc.parse_path('a.b[0]["k"].c')
    assert [str(s) for s in steps] == [".a", ".b", "[0]", "['k']", ".c"]
