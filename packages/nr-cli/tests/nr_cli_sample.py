# ruff: noqa: UP007, UP045 - the typing forms users write are what is tested
"""Targets used by the tests (importable, so import paths and serialization work)."""

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional, Union

from nr_cli.factories import factory
from nr_config import Config


@dataclass
class Model:
    hidden_size: int = 512
    num_layers: int = 12
    dropout: float = 0.1


@dataclass
class Big(Model):
    experts: int = 8


@dataclass
class Training:
    learning_rate: float = 1e-4
    batch_size: int = 32
    epochs: int = 100
    tags: list[str] = field(default_factory=list)


class Color(enum.Enum):
    RED = "r"
    BLUE = "b"


@factory
def small() -> Config[Model]:
    return Config(Model, hidden_size=128)


@factory
def sized(hidden_size: int = 64, layers: int = 2) -> Config[Model]:
    return Config(Model, hidden_size=hidden_size, num_layers=layers)


@factory
def mixture(experts: int = 4) -> Config[Big]:
    return Config(Big, experts=experts)


def train(  # noqa: PLR0917 - many parameters, as real entrypoints have
    model: Model = Model(),  # noqa: B008 - a dataclass default, as users write it
    training: Training = Training(),  # noqa: B008
    epochs: int = 1,
    runtime: int = 0,
    name: str = "run",
    out: Optional[Path] = None,
    color: Color = Color.RED,
    mode: Literal["fast", "slow"] = "fast",
    mixed: Union[list, str] = "",
    scores: dict[str, float] = {},  # noqa: B006
    shape: tuple[int, ...] = (),
    flag: bool = False,
    anything=None,
) -> dict:
    return dict(locals())


def positional(a: int, b: str = "x") -> tuple:
    return a, b
