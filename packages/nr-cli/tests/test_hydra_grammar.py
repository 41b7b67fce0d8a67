"""Hydra's override prefixes and sweep expansion."""

import dataclasses

import pytest
from nr_cli import parse_cli_args
from nr_cli.errors import CLIError
from nr_cli.grammar import Assignment, Positional, parse_token
from nr_cli.sweep import Combination, expand


@dataclasses.dataclass
class Model:
    hidden: int = 8


def train(model: Model | None = None, lr: float = 0.1, extra: dict[str, int] | None = None) -> None:
    del model, lr, extra


def test_tokens_carry_their_prefix() -> None:
    assert parse_token("+a.b=1") == Assignment("a.b", "=", "1", "+")
    assert parse_token("++a=1") == Assignment("a", "=", "1", "++")
    assert parse_token("~a") == Assignment("a", "", "", "~")
    assert parse_token("~a=2") == Assignment("a", "=", "2", "~")
    assert str(parse_token("~a")) == "~a"
    assert parse_token("+5") == Positional("+5")  # a signed number stays a value


def test_prefixes_on_a_typed_configuration() -> None:
    assert parse_cli_args(train, ["+model.hidden=3"]).model.hidden == 3
    assert parse_cli_args(train, ["lr=0.3", "++lr=0.5"]).lr == 0.5
    assert "lr" not in parse_cli_args(train, ["lr=0.3", "~lr"]).__arguments__
    assert parse_cli_args(train, ["extra={'a': 1}", "+extra['b']=2"]).extra == {"a": 1, "b": 2}
    assert parse_cli_args(train, ["extra={'a': 1}", "~extra['a']=1"]).extra == {}
    for tokens, message in [
        (["lr=0.3", "+lr=1"], "already set"),
        (["extra={'a': 1}", "+extra['a']=2"], "exists already"),
        (["lr=0.3", "~lr=0.4"], "not 0.4"),
        (["+lr+=1"], "goes with '=' only"),
        (["+nope=1"], "cannot add a new key"),
    ]:
        with pytest.raises(CLIError, match=message):
            parse_cli_args(train, tokens)


def test_expand_is_the_cartesian_product_last_key_fastest() -> None:
    assert expand(["lr=1,2", "x=[1,2]", "s='a,b'", "bs=8,16"]) == [
        Combination("lr=1,bs=8", ("lr=1", "x=[1,2]", "s='a,b'", "bs=8")),
        Combination("lr=1,bs=16", ("lr=1", "x=[1,2]", "s='a,b'", "bs=16")),
        Combination("lr=2,bs=8", ("lr=2", "x=[1,2]", "s='a,b'", "bs=8")),
        Combination("lr=2,bs=16", ("lr=2", "x=[1,2]", "s='a,b'", "bs=16")),
    ]
    assert expand(["lr=1"]) == [Combination("", ("lr=1",))]
    assert expand(["x=[1,2],[3]"])[1].overrides == ("x=[3]",)  # lists as choices
    assert expand(["++lr=1,2"])[0].overrides == ("++lr=1",)
