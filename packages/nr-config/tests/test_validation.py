"""Validation of arguments against signatures and type hints (issue point 2)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any, Literal

import nr_config as nc
import pytest
from pydantic import Field


@dataclasses.dataclass
class Layer:
    size: int = 1


@dataclasses.dataclass
class Model:
    hidden_size: int = 512
    dropout: float = 0.1
    layers: list[Layer] = dataclasses.field(default_factory=list)
    name: str | None = None


def trainer(
    model: Model, lr: float, mode: Literal["a", "b"] = "a", tags: tuple[str, ...] = ()
) -> None:
    del model, lr, mode, tags


def no_hints(a, b=2):  # type: ignore[no-untyped-def]
    return a, b


def with_kwargs(a: int, **extra: int) -> dict[str, int]:
    return {"a": a, **extra}


def constrained(n: Annotated[int, Field(gt=0)]) -> int:
    return n


def paths(p: Path, items: dict[str, list[int]]) -> None:
    del p, items


def test_wrong_type_names_path_type_and_value() -> None:
    cfg = nc.Config(trainer, model=nc.Config(Model), lr=0.1)
    with pytest.raises(nc.ConfigTypeError) as info:
        nc.set_value(cfg, "model.hidden_size", "big")
    error = info.value
    assert error.path == "model.hidden_size"
    assert error.expected == "int"
    assert error.value == "big"
    assert "model.hidden_size" in str(error)
    assert "expected int" in str(error)
    assert "'big' (str)" in str(error)


def test_wrong_type_on_attribute_assignment_and_construction() -> None:
    cfg = nc.Config(Model)
    with pytest.raises(nc.ConfigTypeError, match=r"hidden_size.*expected int"):
        cfg.hidden_size = 1.5
    with pytest.raises(nc.ConfigTypeError, match="dropout"):
        nc.Config(Model, dropout="x")
    assert cfg.__arguments__ == {}


def test_values_are_kept_as_given() -> None:
    cfg = nc.Config(Model, dropout=1)
    assert cfg.dropout == 1
    assert type(cfg.dropout) is int
    with pytest.raises(nc.ConfigTypeError):
        nc.Config(trainer, model=nc.Config(Model), lr=0.1, tags=["a"])  # a list is not a tuple
    with pytest.raises(nc.ConfigTypeError):
        nc.Config(Model, name=["x"])  # a list never becomes a string
    with pytest.raises(nc.ConfigTypeError):
        nc.Config(Model, hidden_size=True)  # a bool is not an int
    with pytest.raises(nc.ConfigTypeError):
        nc.Config(paths, p="relative/str")  # no silent str -> Path coercion


def test_container_items_are_checked_with_innermost_path() -> None:
    cfg = nc.Config(Model)
    with pytest.raises(nc.ConfigTypeError) as info:
        cfg.layers = [nc.Config(Layer), "oops"]
    assert info.value.path == "layers[1]"
    with pytest.raises(nc.ConfigTypeError) as info:
        nc.Config(paths, items={"a": [1, "x"]})
    assert info.value.path == "items['a'][1]"


def test_config_values_are_checked_by_what_they_build() -> None:
    with pytest.raises(nc.ConfigTypeError, match="expected Model"):
        nc.Config(trainer, model=nc.Config(Layer))
    nc.Config(trainer, model=nc.Config(Model), lr=1)


def test_pydantic_checks_literal_and_constraints() -> None:
    with pytest.raises(nc.ConfigTypeError, match="mode"):
        nc.Config(trainer, mode="c")
    with pytest.raises(nc.ConfigTypeError, match="n"):
        nc.Config(constrained, n=0)
    assert nc.Config(constrained, n=3).build() == 3


def test_unknown_name_suggests_closest() -> None:
    with pytest.raises(nc.UnknownArgumentError) as info:
        nc.Config(Model, hiden_size=3)
    assert info.value.suggestions[0] == "hidden_size"
    assert "did you mean 'hidden_size'" in str(info.value)
    cfg = nc.Config(trainer, model=nc.Config(Model))
    with pytest.raises(nc.UnknownArgumentError) as info:
        nc.set_value(cfg, "model.dropuot", 0.2)
    assert info.value.path == "model.dropuot"


def test_missing_required_argument_at_build_names_path() -> None:
    cfg2 = nc.Config(dict, inner=[nc.Config(trainer, lr=1.0)])
    with pytest.raises(nc.MissingArgumentError) as info:
        cfg2.build()
    assert info.value.path == "inner[0].model"
    assert "missing" in str(info.value)


def test_targets_without_hints_and_kwargs() -> None:
    assert nc.Config(no_hints, a=[1], b="x").build() == ([1], "x")
    cfg = nc.Config(with_kwargs, a=1, extra_one=2)
    assert cfg.build() == {"a": 1, "extra_one": 2}
    with pytest.raises(nc.ConfigTypeError, match="extra_two"):
        cfg.extra_two = "not an int"


def test_in_place_list_edit_is_rechecked_at_build() -> None:
    cfg = nc.Config(Model, layers=[nc.Config(Layer)])
    cfg.layers.append("bad")
    with pytest.raises(nc.ConfigTypeError) as info:
        cfg.build()
    assert info.value.path == "layers[1]"


def test_unresolvable_hints_are_not_checked() -> None:
    def late(x: NotDefinedAnywhere) -> Any:  # type: ignore[name-defined]  # noqa: F821
        return x

    assert nc.Config(late, x=3).build() == 3
