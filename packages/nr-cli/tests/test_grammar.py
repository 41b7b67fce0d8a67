import pytest
from nr_cli.errors import GrammarError
from nr_cli.grammar import (
    Assignment,
    Call,
    Positional,
    enclosed,
    parse_call,
    parse_token,
    split_top_level,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1", Assignment("a", "=", "1")),
        ("model.layers[0].size*=2", Assignment("model.layers[0].size", "*=", "2")),
        ("x+=[1, 2]", Assignment("x", "+=", "[1, 2]")),
        ("d['k']|={'a': 1}", Assignment("d['k']", "|=", "{'a': 1}")),
        ("a-=1", Assignment("a", "-=", "1")),
        ("a/=2", Assignment("a", "/=", "2")),
        ("a&={1}", Assignment("a", "&=", "{1}")),
        ("a=", Assignment("a", "=", "")),
        ("a==b", Assignment("a", "=", "=b")),
        ("llama", Positional("llama")),
        ("[a=1]", Positional("[a=1]")),
    ],
)
def test_tokens(text: str, expected: object) -> None:
    assert parse_token(text) == expected


def test_split_respects_brackets_and_quotes() -> None:
    assert split_top_level("a=[1, 2], b=f(x=1, y=(2, 3)), c='x,y', d=\"]\"") == [
        "a=[1, 2]",
        "b=f(x=1, y=(2, 3))",
        "c='x,y'",
        'd="]"',
    ]
    assert split_top_level("1, 2,") == ["1", "2"]
    assert split_top_level("  ") == []


@pytest.mark.parametrize("text", ["[1, 2", "(]", "'abc", "a,,b", "{1: 2]"])
def test_split_rejects_unbalanced(text: str) -> None:
    with pytest.raises(GrammarError):
        split_top_level(text)


def test_calls() -> None:
    assert parse_call("small") == Call("small")
    assert parse_call("pkg.mod:obj") == Call("pkg.mod:obj")
    assert parse_call("f(1, b=[1, 2], c=g(x=1))") == Call(
        "f", ("1",), (("b", "[1, 2]"), ("c", "g(x=1)")), has_parens=True
    )
    assert parse_call("f(a=1) + g()") is None
    assert parse_call("[1]") is None
    with pytest.raises(GrammarError):
        parse_call("f(a=1, 2)")


def test_enclosed() -> None:
    assert enclosed(" [1, [2]] ", "[") == "1, [2]"
    assert enclosed("[1] + [2]", "[") is None
    assert enclosed("x", "[") is None
