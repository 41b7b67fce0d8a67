"""Building configurations (issue point 1) and converting objects to configurations (point 4)."""

from __future__ import annotations

import dataclasses
import functools
import pickle

import nr_config as nc
import pytest


@dataclasses.dataclass
class ModelConfig:
    hidden_size: int = 512
    num_layers: int = 12
    dropout: float = 0.1


@dataclasses.dataclass
class TrainingConfig:
    learning_rate: float = 1e-4
    batch_size: int = 32


@dataclasses.dataclass
class Pair:
    left: object
    right: object


def train_model(model: ModelConfig, training: TrainingConfig, epochs: int = 1) -> tuple:
    return model, training, epochs


def positional_only(a: int, /, b: int = 2) -> tuple[int, int]:
    return a, b


calls: list[int] = []


def counted(x: int) -> list[int]:
    calls.append(x)
    return [x]


def test_seed_example_config_builds_instance() -> None:
    config = nc.Config(ModelConfig, hidden_size=1024, num_layers=24)
    model = config.build()
    assert model == ModelConfig(hidden_size=1024, num_layers=24, dropout=0.1)


def test_seed_example_partial_with_dataclass_instances() -> None:
    train_fn = nc.Partial(train_model, model=ModelConfig(), training=TrainingConfig())
    assert isinstance(train_fn.model, nc.Config)
    assert train_fn.model.__fn_or_cls__ is ModelConfig
    built = train_fn.build()
    assert isinstance(built, functools.partial)
    assert built(epochs=3) == (ModelConfig(), TrainingConfig(), 3)


def test_nested_configs_build_depth_first_and_module_build() -> None:
    cfg = nc.Config(Pair, left=nc.Config(ModelConfig, hidden_size=1), right=[nc.Config(Pair, 1, 2)])
    built = nc.build(cfg)
    assert built == Pair(ModelConfig(hidden_size=1), [Pair(1, 2)])


def test_shared_config_builds_one_instance() -> None:
    shared = nc.Config(ModelConfig)
    cfg = nc.Config(Pair, left=shared, right={"x": (shared,)})
    built = cfg.build()
    assert built.left is built.right["x"][0]


def test_build_does_not_mutate_and_repeats() -> None:
    cfg = nc.Config(Pair, left=[nc.Config(ModelConfig)], right={"k": [1]})
    before = cfg.clone()
    first = cfg.build()
    first.left.append("mutated")
    first.right["k"].append(2)
    second = cfg.build()
    assert cfg == before
    assert second == Pair([ModelConfig()], {"k": [1]})
    assert second.left is not first.left


def test_build_calls_target_each_time() -> None:
    calls.clear()
    cfg = nc.Config(counted, 5)
    assert cfg.build() == [5]
    assert cfg.build() == [5]
    assert calls == [5, 5]


def test_positional_arguments_bind_to_names() -> None:
    cfg = nc.Config(positional_only, 1, b=3)
    assert cfg.__arguments__ == {"a": 1, "b": 3}
    assert cfg.build() == (1, 3)
    with pytest.raises(nc.ConfigError, match="positional"):
        nc.Config(positional_only, 1, 2, 3)


def test_partial_allows_missing_arguments() -> None:
    part = nc.Partial(train_model, training=nc.Config(TrainingConfig))
    fn = part.build()
    assert fn(model=ModelConfig()) == (ModelConfig(), TrainingConfig(), 1)


def test_dict_target_builds_dict() -> None:
    assert nc.Config(dict, a=1, b=nc.Config(ModelConfig)).build() == {"a": 1, "b": ModelConfig()}


def test_cycle_is_a_build_error() -> None:
    cfg = nc.Config(Pair, left=1, right=2)
    cfg.right = [cfg]
    with pytest.raises(nc.BuildError, match="cycle"):
        cfg.build()


def test_generic_alias_and_attributes() -> None:
    cfg = nc.Config[ModelConfig](ModelConfig, hidden_size=3)
    assert cfg.hidden_size == 3
    assert cfg.num_layers == 12  # default of the target
    with pytest.raises(TypeError):
        cfg.__arguments__["hidden_size"] = 4  # type: ignore[index]
    del cfg.hidden_size
    assert "hidden_size" not in cfg.__arguments__
    with pytest.raises(AttributeError, match="did you mean 'hidden_size'"):
        _ = cfg.hiden_size


def test_target_error_names_the_config() -> None:
    def boom(x: int) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom") as info:
        nc.Config(Pair, left=nc.Config(boom, x=1), right=2).build()
    notes = getattr(info.value, "__notes__", [])
    if notes:  # Python >= 3.11 attaches where the failure happened
        assert "left" in notes[0]


def test_pickle_round_trip() -> None:
    cfg = nc.Partial(train_model, model=nc.Config(ModelConfig, hidden_size=2))
    assert pickle.loads(pickle.dumps(cfg)) == cfg  # noqa: S301 - our own data


@dataclasses.dataclass
class Inner:
    value: int = 1


@dataclasses.dataclass(frozen=True)
class Executor:
    nodes: int = 1
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    inner: Inner = dataclasses.field(default_factory=Inner)
    items: list[Inner] = dataclasses.field(default_factory=list)
    computed: int = dataclasses.field(init=False, default=0)


class Declarative:
    """An upper-layer object that knows how to describe itself."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Declarative) and other.size == self.size

    __hash__ = None  # type: ignore[assignment]

    def to_config(self) -> nc.Config[Declarative]:
        return nc.Config(Declarative, size=self.size)


def test_to_config_converts_dataclasses_recursively_and_back() -> None:
    executor = Executor(nodes=2, env={"A": "1"}, items=[Inner(3)])
    cfg = nc.to_config(executor)
    assert isinstance(cfg, nc.Config)
    assert cfg.__fn_or_cls__ is Executor
    assert set(cfg.__arguments__) == {"nodes", "env", "inner", "items"}
    assert isinstance(cfg.inner, nc.Config)
    assert isinstance(cfg.items[0], nc.Config)
    assert cfg.build() == executor


def test_to_config_uses_to_config_method_and_containers() -> None:
    converted = nc.to_config([Declarative(3), (Inner(2),), {"k": Inner()}, 5])
    assert converted[0] == nc.Config(Declarative, size=3)
    assert converted[1] == (nc.Config(Inner, value=2),)
    assert converted[2] == {"k": nc.Config(Inner, value=1)}
    assert converted[3] == 5
    assert nc.build(converted)[0] == Declarative(3)


def test_to_config_keeps_unchanged_containers() -> None:
    items = [1, "a"]
    assert nc.to_config(items) is items


def test_dataclass_to_config_rejects_non_dataclass() -> None:
    with pytest.raises(nc.ConfigError):
        nc.dataclass_to_config(object())


def test_non_callable_target_is_refused() -> None:
    with pytest.raises(nc.ConfigError, match="class or a function"):
        nc.Config(3)  # type: ignore[call-overload]


def test_unset_default_factory_argument_reads_as_a_fresh_value_kept_for_edits() -> None:
    import dataclasses

    import nr_config as nc

    @dataclasses.dataclass
    class Layers:
        sizes: list[int] = dataclasses.field(default_factory=list)

    cfg = nc.Config(Layers)
    assert cfg.sizes == []
    cfg.sizes.append(4)
    assert cfg.build() == Layers(sizes=[4])
    assert nc.Config(Layers).sizes is not nc.Config(Layers).sizes
