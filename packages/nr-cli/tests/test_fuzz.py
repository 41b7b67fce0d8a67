"""The parser fails only with CLI errors, whatever the command line."""

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nr_cli.errors import CLIError
from nr_cli.overrides import apply_overrides
from nr_cli.values import parse_value
from nr_cli_sample import Model, train
from nr_config import Partial

PATHS = [
    "epochs",
    "model",
    "model.hidden_size",
    "training.tags",
    "training.tags[0]",
    "scores",
    "shape",
    "mixed",
    "color",
    "mode",
    "out",
    "flag",
    "anything",
    "runtime",
    "nope",
    "model.x",
]
OPS = ["=", "+=", "-=", "*=", "/=", "|=", "&="]
PIECES = st.sampled_from(
    [
        "[",
        "]",
        "(",
        ")",
        "{",
        "}",
        ",",
        ":",
        "'",
        '"',
        "=",
        "small",
        "sized",
        "x",
        "1",
        "-2.5",
        "none",
        "true",
        "@",
        "a.yaml",
        "\\",
        " ",
        "layers=",
        "0x1f",
        "1e308",
        "*",
    ]
)
VALUES = st.one_of(st.text(max_size=30), st.lists(PIECES, max_size=12).map("".join))
ANNOTATIONS: list[Any] = [
    int,
    float,
    bool,
    str,
    list[int],
    dict[str, float],
    tuple[int, ...],
    Model,
    list[Model],
    int | None,
    list | str,
    set[int],
    Any,
]


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tokens=st.lists(
        st.one_of(
            st.tuples(st.sampled_from(PATHS), st.sampled_from(OPS), VALUES).map("".join),
            VALUES,
        ),
        max_size=4,
    )
)
def test_overrides_raise_only_cli_errors(tokens: list[str]) -> None:
    with contextlib.suppress(CLIError):
        apply_overrides(Partial(train), tokens)


@settings(max_examples=400, deadline=None)
@given(text=VALUES, annotation=st.sampled_from(ANNOTATIONS))
def test_values_raise_only_cli_errors(text: str, annotation: Any) -> None:
    with contextlib.suppress(CLIError):
        parse_value(text, annotation, argument="x")
