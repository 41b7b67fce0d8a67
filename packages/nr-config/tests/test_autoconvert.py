"""autoconvert (issue point 7)."""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path

import nr_config as nc
import pytest


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Optimizer:
    lr: float = 1e-3


@dataclasses.dataclass
class Model:
    hidden: int = 8
    optimizer: Optimizer = dataclasses.field(default_factory=Optimizer)
    layers: list[int] = dataclasses.field(default_factory=list)
    color: Color = Color.RED
    root: Path = Path()


def helper(n: int) -> list[int]:
    return list(range(n))


@nc.autoconvert
def base_optimizer(lr: float = 0.1) -> Optimizer:
    return Optimizer(lr=lr)


@nc.autoconvert
def base_model(hidden: int = 16) -> Model:
    return Model(
        hidden=hidden * 2,
        optimizer=base_optimizer(),
        layers=helper(3),
        color=Color("red"),
        root=Path("/data"),
    )


@nc.autoconvert(partial=True)
def partial_model() -> Model:
    return Model(optimizer=Optimizer(lr=0.5))


@nc.autoconvert
def several() -> list[Model]:
    return [Model(hidden=1), Model(hidden=2)]


def test_factory_returns_config_of_what_it_would_build() -> None:
    cfg = base_model(hidden=4)
    assert isinstance(cfg, nc.Config)
    assert cfg.__fn_or_cls__ is Model
    assert cfg.hidden == 8
    assert cfg.optimizer == nc.Config(Optimizer, lr=0.1)  # another autoconvert function
    assert cfg.layers == [0, 1, 2]  # plain functions are called
    assert cfg.color is Color.RED  # enums are called, not configured
    assert cfg.root == Path("/data")  # standard-library classes are called
    assert cfg.build() == Model(8, Optimizer(0.1), [0, 1, 2], Color.RED, Path("/data"))


def test_partial_and_list_results() -> None:
    part = partial_model()
    assert isinstance(part, nc.Partial)
    assert part.optimizer == nc.Config(Optimizer, lr=0.5)
    assert part.build()() == Model(optimizer=Optimizer(0.5))
    assert several() == [nc.Config(Model, hidden=1), nc.Config(Model, hidden=2)]


def test_wrapper_metadata() -> None:
    assert base_model.__name__ == "base_model"
    assert base_model.__auto_config__ is True
    assert base_optimizer.wrapped(lr=0.3) == Optimizer(0.3)


def test_closures_are_supported() -> None:
    size = 5

    @nc.autoconvert
    def local() -> Optimizer:
        return Optimizer(lr=size / 10)

    assert local() == nc.Config(Optimizer, lr=0.5)
    size = 7
    assert local() == nc.Config(Optimizer, lr=0.7)


def test_without_source_uses_stand_ins() -> None:
    namespace: dict[str, object] = {"Optimizer": Optimizer, "Model": Model}
    exec(  # noqa: S102 - simulates a function defined where no source file exists
        "def factory():\n    return Model(hidden=3, optimizer=Optimizer(lr=0.2))\n", namespace
    )
    converted = nc.autoconvert(namespace["factory"])  # type: ignore[call-overload]
    assert converted() == nc.Config(Model, hidden=3, optimizer=nc.Config(Optimizer, lr=0.2))


def test_non_configurable_result_is_an_error() -> None:
    @nc.autoconvert
    def number() -> int:
        return int("3")

    with pytest.raises(nc.ConfigError, match="configurable"):
        number()
