# ruff: noqa: UP007, UP045 - the typing forms users write are what is tested
import enum
from pathlib import Path
from typing import Any, Literal, Optional, Union

import pytest
from nr_cli.errors import CLIError, FactoryNotFoundError, ValueParseError
from nr_cli.values import parse_value
from nr_cli_sample import Big, Color, Model
from nr_config import Config, Partial


def parse(text: str, annotation: Any) -> Any:
    return parse_value(text, annotation, argument="x")


@pytest.mark.parametrize(
    ("text", "annotation", "expected"),
    [
        ("12", int, 12),
        ("0x10", int, 16),
        ("2e-4", float, 2e-4),
        ("3", float, 3.0),
        ("yes", bool, True),
        ("OFF", bool, False),
        ("'hi'", str, "hi"),
        ("hi there", str, "hi there"),
        ("/tmp/x", Path, Path("/tmp/x")),
        ("BLUE", Color, Color.BLUE),
        ("b", Color, Color.BLUE),
        ("slow", Literal["fast", "slow"], "slow"),
        ("2", Literal[1, 2], 2),
        ("none", Optional[int], None),
        ("5", Optional[int], 5),
        ("[1,2]", Union[list, str], [1, 2]),
        ("abc", Union[list, str], "abc"),
        ("5", Union[int, str], 5),
        ("1.5", Union[int, float], 1.5),
        ("[1, 2]", list[int], [1, 2]),
        ("[a, 'b,c']", list[str], ["a", "b,c"]),
        ("[/a, /b]", list[Path], [Path("/a"), Path("/b")]),
        ("(1, x)", tuple[int, str], (1, "x")),
        ("[1, 2, 3]", tuple[int, ...], (1, 2, 3)),
        ("{a: 1, 'b': 2.5}", dict[str, float], {"a": 1.0, "b": 2.5}),
        ("dict(a=1)", dict[str, int], {"a": 1}),
        ("{1, 2}", set[int], {1, 2}),
        ("[1, 'a']", Any, [1, "a"]),
        ("hello", Any, "hello"),
        ("[1, 2]", list, [1, 2]),
        ("[[1], [2, 3]]", Optional[list[list[int]]], [[1], [2, 3]]),
    ],
)
def test_scalars_and_containers(text: str, annotation: Any, expected: Any) -> None:
    value = parse(text, annotation)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("text", "annotation"),
    [
        ("abc", int),
        ("1.5", int),
        ("maybe", bool),
        ("GREEN", Color),
        ("medium", Literal["fast", "slow"]),
        ("[1, 2", Union[list, str]),
        ("1", list[int]),
        ("(1, 2, 3)", tuple[int, str]),
        ("{a}", dict[str, int]),
        ("", Path),
        ("[x]", list[int]),
    ],
)
def test_type_errors_name_the_argument(text: str, annotation: Any) -> None:
    with pytest.raises(ValueParseError) as caught:
        parse(text, annotation)
    assert caught.value.argument == "x" or caught.value.argument.startswith("x[")


def test_factories_by_name_with_nested_arguments() -> None:
    assert parse("small", Model) == Config(Model, hidden_size=128)
    assert parse("sized(hidden_size=256, layers=3)", Model) == Config(
        Model, hidden_size=256, num_layers=3
    )
    assert parse("sized(16)", Model) == Config(Model, hidden_size=16, num_layers=2)
    # a factory of a subclass is offered for the base class
    assert parse("mixture(experts=2)", Model) == Config(Big, experts=2)
    # the class itself, and import paths
    assert parse("Model(hidden_size=1)", Model) == Config(Model, hidden_size=1)
    assert parse("nr_cli_sample.Big(experts=3)", Model) == Config(Big, experts=3)
    assert parse("nr_cli_sample:sized(layers=5)", Model) == Config(
        Model, hidden_size=64, num_layers=5
    )
    assert parse("small", Partial[Model]) == Partial(Model, hidden_size=128)
    assert parse("[small, sized(layers=1)]", list[Model]) == [
        Config(Model, hidden_size=128),
        Config(Model, hidden_size=64, num_layers=1),
    ]


def test_unknown_factory_suggests_close_names() -> None:
    with pytest.raises(FactoryNotFoundError) as caught:
        parse("smal", Model)
    assert "did you mean 'small'" in str(caught.value)


def test_factory_argument_errors() -> None:
    with pytest.raises(CLIError, match="layerz"):
        parse("sized(layerz=1)", Model)
    with pytest.raises(CLIError, match="expected an integer"):
        parse("sized(layers=x)", Model)


def test_values_are_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    text = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    assert parse(text, Any) == text
    with pytest.raises(CLIError):
        parse(text, list[int])
    assert not marker.exists()


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def test_int_enum_by_value() -> None:
    assert parse("2", Level) is Level.HIGH
