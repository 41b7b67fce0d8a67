"""The override grammar: tokens (``path<op>value``), top-level splitting and factory calls.

Tokens may carry Hydra's prefixes (``+key=v``, ``++key=v``, ``~key``, see `PREFIXES`). Nothing
here knows about types; `nr_cli.values` reads the strings this module cuts out. Splitting
respects brackets, parentheses, braces and quotes, so ``f(a=[1, 2], b="x,y")`` has two arguments.
"""

from __future__ import annotations

import dataclasses
import re

from nr_cli.errors import GrammarError

__all__ = [
    "OPERATORS",
    "PREFIXES",
    "Assignment",
    "Call",
    "Positional",
    "enclosed",
    "parse_call",
    "parse_token",
    "split_top_level",
    "strip_quotes",
]

OPERATORS = ("=", "+=", "-=", "*=", "/=", "|=", "&=")
"""The assignment operators, ``=`` first."""
PREFIXES = ("", "+", "++", "~")
"""Hydra's override prefixes: ``+key=v`` adds an argument that is not set, ``++key=v`` sets it
whether set or not (the same as ``key=v``), ``~key`` resets it to its default (``~key=v`` only
when its value is ``v``)."""

_PATH = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[-?\d+\]|\['[^'\]]*'\]|\[\"[^\"\]]*\"\])*"
_TOKEN = re.compile(
    rf"(?P<prefix>\+\+|\+|~)?(?P<path>{_PATH})(?P<op>[-+*/|&]?=)(?P<value>.*)", re.DOTALL
)
_REMOVAL = re.compile(rf"~(?P<path>{_PATH})")
_CALL = re.compile(r"(?P<name>[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*)?)(?P<rest>\(.*\))?", re.DOTALL)
_KEYWORD = re.compile(r"(?P<key>[A-Za-z_]\w*)\s*=(?!=)(?P<value>.*)", re.DOTALL)
_CLOSING = {"(": ")", "[": "]", "{": "}"}


@dataclasses.dataclass(frozen=True)
class Assignment:
    """A ``path<op>value`` token such as ``model.layers[0].size*=2``.

    Attributes:
        path: The argument path (``model.layers[0].size``).
        op: One of `OPERATORS`; "" for a bare ``~path`` (which has no value).
        value: The text right of the operator (may be empty).
        prefix: One of `PREFIXES` (Hydra's ``+``, ``++``, ``~``).
    """

    path: str
    op: str
    value: str
    prefix: str = ""

    def __str__(self) -> str:
        if not self.op:
            return f"{self.prefix}{self.path}"
        return f"{self.prefix}{self.path}{self.op}{self.value}"


@dataclasses.dataclass(frozen=True)
class Positional:
    """A bare token, bound to the next positional parameter."""

    value: str

    def __str__(self) -> str:
        return self.value


@dataclasses.dataclass(frozen=True)
class Call:
    """A factory reference: ``name``, ``pkg.mod.name`` or ``name(arg, key=value)``.

    Attributes:
        name: The factory name or import path.
        args: Positional argument texts.
        kwargs: Keyword argument texts, in order.
        has_parens: True when the reference was written with parentheses.
    """

    name: str
    args: tuple[str, ...] = ()
    kwargs: tuple[tuple[str, str], ...] = ()
    has_parens: bool = False


def parse_token(text: str) -> Assignment | Positional:
    """Split one command-line token into an assignment or a positional value.

    Args:
        text: For example ``model.size*=2``, ``lr=1e-4`` or ``llama``.

    Returns:
        An `Assignment` when the token starts with a path (after an optional `PREFIXES` prefix)
        followed by an operator, or is ``~path``; otherwise a `Positional`.
    """
    match = _TOKEN.fullmatch(text)
    if match is None:
        removal = _REMOVAL.fullmatch(text)
        if removal is not None:
            return Assignment(removal.group("path"), "", "", "~")
        return Positional(text)
    prefix = match.group("prefix") or ""
    return Assignment(match.group("path"), match.group("op"), match.group("value"), prefix)


def _scan(text: str, separator: str | None) -> list[str]:
    parts: list[str] = []
    stack: list[str] = []
    quote = ""
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in _CLOSING:
            stack.append(_CLOSING[char])
        elif char in ")]}":
            if not stack or stack.pop() != char:
                raise GrammarError(f"unbalanced {char!r} at position {index} in {text!r}")
        elif char == separator and not stack:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    if quote:
        raise GrammarError(f"unterminated {quote} quote in {text!r}")
    if stack:
        raise GrammarError(f"missing {stack[-1]!r} in {text!r}")
    parts.append(text[start:])
    return parts


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split `text` on `separator` where it is outside brackets and quotes.

    Items are stripped of surrounding whitespace; an empty text gives an empty list, and one
    trailing separator is allowed (``[1, 2,]``).

    Args:
        text: The text to split, for example ``a=[1, 2], b='x,y'``.
        separator: A single character.

    Returns:
        The items.

    Raises:
        GrammarError: Unbalanced brackets or an unterminated quote.
    """
    if not text.strip():
        _scan(text, None)
        return []
    items = [item.strip() for item in _scan(text, separator)]
    if len(items) > 1 and not items[-1]:
        items.pop()
    if any(not item for item in items):
        raise GrammarError(f"empty item in {text!r}")
    return items


def check_balanced(text: str) -> None:
    """Raise `GrammarError` if brackets or quotes in `text` are unbalanced."""
    _scan(text, None)


def strip_quotes(text: str) -> str:
    """Remove one pair of matching surrounding quotes (``'a'`` or ``"a"``), if present."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_call(text: str) -> Call | None:
    """Parse a factory reference.

    Args:
        text: ``name``, ``pkg.mod.name``, ``pkg.mod:name`` or ``name(1, key=[1, 2])``.

    Returns:
        The call, or None when `text` is not shaped like a factory reference.

    Raises:
        GrammarError: Parentheses are present but unbalanced, or an argument is malformed.
    """
    text = text.strip()
    match = _CALL.fullmatch(text)
    if match is None:
        return None
    rest = match.group("rest")
    if rest is None:
        return Call(match.group("name"))
    inner = rest[1:-1]
    if enclosed(rest, "(") is None:
        return None
    args: list[str] = []
    kwargs: list[tuple[str, str]] = []
    for item in split_top_level(inner):
        keyword = _KEYWORD.fullmatch(item)
        if keyword is None:
            if kwargs:
                raise GrammarError(f"positional argument {item!r} after a keyword argument")
            args.append(item)
        else:
            kwargs.append((keyword.group("key"), keyword.group("value").strip()))
    return Call(match.group("name"), tuple(args), tuple(kwargs), has_parens=True)


def enclosed(text: str, opening: str) -> str | None:
    """Return what is inside `text` when it is one bracketed group opened by `opening`.

    ``enclosed("[1, [2]]", "[")`` is ``"1, [2]"``; ``enclosed("[1] + [2]", "[")`` is None.

    Args:
        text: The text (surrounding whitespace is ignored).
        opening: ``(``, ``[`` or ``{``.

    Returns:
        The inner text, or None.

    Raises:
        GrammarError: The text starts with `opening` but its brackets or quotes are unbalanced.
    """
    text = text.strip()
    if not text.startswith(opening):
        return None
    check_balanced(text)
    return text[1:-1] if _closes_at_end(text) else None


def _closes_at_end(text: str) -> bool:
    """Return True when the bracket opening `text` closes at its last character."""
    depth = 0
    quote = ""
    skip = False
    for index, char in enumerate(text):
        if skip:
            skip = False
        elif quote:
            skip = char == "\\"
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False
