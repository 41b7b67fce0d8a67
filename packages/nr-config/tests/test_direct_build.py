"""The lean decoder (`nr_config.serialization.direct`) builds what `nr_config.build` builds."""

import dataclasses
import enum
import functools
import json
import math
import pathlib
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import nr_config
import pytest
from nr_config.serialization.direct import build_dict, build_json


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Layer:
    size: int
    tags: tuple[str, ...] = ()


@dataclasses.dataclass
class Model:
    encoder: Layer
    decoder: Layer
    extras: dict[Any, Any] = dataclasses.field(default_factory=dict)


def positional(x: int, /, y: int = 0, *, z: int = 0) -> tuple[int, int, int]:
    return (x, y, z)


class Point:
    def __init__(self, x: int, y: int, /) -> None:
        self.coords = (x, y)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and other.coords == self.coords

    __hash__ = None  # type: ignore[assignment]


def keyword_only_sum(*, a: int, b: int) -> int:
    return a + b


def wrapped(*args: Any, **kwargs: Any) -> tuple[int, int, int]:
    return positional(*args, **kwargs)


wrapped.__wrapped__ = positional  # type: ignore[attr-defined] # inspect reads positional's signature


def _every_tag_graph() -> nr_config.Config[Model]:
    shared = nr_config.Config(Layer, size=3, tags=("a", "b"))
    return nr_config.Config(
        Model,
        encoder=shared,
        decoder=shared,
        extras={
            1: "int key",
            "_target_": "a reserved-looking key",
            "set": {1, 2, 3},
            "frozen": frozenset({"x"}),
            "bytes": b"\x00\xffdata",
            "floats": [math.inf, -math.inf, 1.5],
            "paths": [pathlib.PurePosixPath("/a/b"), Path("rel/dir")],
            "color": Color.BLUE,
            "class": Layer,
            "function": positional,
            "task": nr_config.Partial(keyword_only_sum, a=1),
            "posonly": nr_config.Config(positional, 4, 5, z=6),
            "point": nr_config.Config(Point, 7, 8),
            "builtin": nr_config.Config(int, "12"),
            "wrapped": nr_config.Config(wrapped, 1, 2),
            "none": None,
            "nested": [(1, (2, 3)), {"k": [Color.RED]}],
        },
    )


def _comparable(value: Any) -> Any:
    """Turn what building gives into a value that `==` compares fully (partials, nan)."""
    if isinstance(value, functools.partial):
        return ("partial", value.func, _comparable(value.args), _comparable(value.keywords))
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), _comparable(dataclasses.asdict(value)))
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_comparable(v) for v in value)
    return value


def test_every_tag_builds_as_nr_config_builds_it() -> None:
    text = nr_config.dumps_json(_every_tag_graph())
    direct = build_json(text)
    reference = nr_config.build(nr_config.loads_json(text))
    assert _comparable(direct) == _comparable(reference)
    assert type(direct.extras["set"]) is set
    assert type(direct.extras["frozen"]) is frozenset
    assert type(direct.extras["paths"][0]) is pathlib.PurePosixPath
    assert direct.extras["posonly"] == (4, 5, 6)
    assert direct.extras["builtin"] == 12
    assert direct.extras["wrapped"] == (1, 2, 0)


def test_shared_nodes_are_built_once() -> None:
    direct = build_json(nr_config.dumps_json(_every_tag_graph()))
    assert direct.encoder is direct.decoder


def test_a_reference_before_its_definition_resolves() -> None:
    data = {
        "_target_": "builtins:list",
        "iterable": {
            "_type_": "tuple",
            "items": [{"_ref_": 1}, {"_target_": f"{__name__}:Layer", "_id_": 1, "size": 2}],
        },
    }
    first, second = build_dict(data)
    assert first is second
    assert first == Layer(size=2)


def test_the_tags_json_writers_never_use_but_other_formats_do() -> None:
    data = {
        "_target_": "builtins:dict",
        "big": {"_type_": "int", "value": "123456789012345678901234567890"},
        "boxed": {"_type_": "box", "value": [1]},
        "nothing": {"_type_": "none"},
        "nan": {"_type_": "float", "value": "nan"},
    }
    direct = build_dict(data)
    reference = nr_config.build(nr_config.from_dict(data))
    assert _comparable(direct) == _comparable(reference)
    assert direct["big"] == 123456789012345678901234567890


def test_partial_builds_to_a_functools_partial() -> None:
    built = build_json(nr_config.dumps_json(nr_config.Partial(keyword_only_sum, a=2)))
    assert isinstance(built, functools.partial)
    assert built(b=3) == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "invalid JSON"),
        ('{"a": 1} extra', "invalid JSON: Extra data"),
        ("", "invalid JSON: Expecting value"),
        ('{"_target_": "no_such_module_xyz:f"}', "cannot resolve"),
        ('{"_ref_": 9}', "unknown _id_ 9"),
        ('{"_type_": "mystery"}', "unknown _type_"),
        ('{"_type_": "path", "class": "NotAPath", "value": "x"}', "unknown path class"),
        ('{"_type_": "bytes", "base64": "!!"}', "malformed 'bytes'"),
    ],
)
def test_malformed_documents_are_deserialization_errors(text: str, message: str) -> None:
    with pytest.raises(nr_config.DeserializationError, match=message):
        build_json(text)


def test_a_failing_target_names_where_it_was_built() -> None:
    text = json.dumps({"_target_": "builtins:dict", "n": {"_target_": "builtins:int", "x": "z"}})
    with pytest.raises(ValueError, match="invalid literal") as caught:
        build_json(text)
    assert any("while building n" in note for note in getattr(caught.value, "__notes__", []))


def test_main_targets_resolve_through_the_saved_script_with_the_guard(tmp_path: Path) -> None:
    script = tmp_path / "launch.py"
    script.write_text(
        textwrap.dedent(
            """
            import nr_config
            LOADING = nr_config.loading_main_module()

            def greet(name):
                return f"hello {name} (loading={LOADING})"
            """
        )
    )
    text = json.dumps({"_target_": "__main__:greet", "name": "job"})
    assert build_json(text, main_module=script) == "hello job (loading=True)"
    assert not nr_config.loading_main_module()


def test_importing_the_decoder_imports_no_validation() -> None:
    probe = textwrap.dedent(
        """
        import sys
        import nr_config.serialization.direct
        import nr_config
        print(sorted(sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.replace("'", '"')))
    assert "nr_config.serialization.direct" in loaded
    unwanted = {
        "pydantic",
        "nr_config.validation",
        "nr_config.buildable",
        "nr_config.errors",
        "typing",
        "re",
        "json",
        "inspect",
    }
    assert not loaded & unwanted


def test_import_nr_config_loads_names_on_first_use() -> None:
    probe = textwrap.dedent(
        """
        import sys
        import nr_config
        before = {m for m in sys.modules if m.startswith(("nr_config.", "pydantic"))}
        nr_config.Config
        after = {m for m in sys.modules if m.startswith("nr_config.")}
        print(sorted(before), "nr_config.buildable" in after, sorted(dir(nr_config)) == sorted(nr_config.__all__))
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['nr_config.__about__']", "True", "True"]


def test_every_exported_name_resolves() -> None:
    for name in nr_config.__all__:
        assert getattr(nr_config, name) is not None
    for name in nr_config.serialization.__all__:
        assert getattr(nr_config.serialization, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        nr_config.no_such_name  # noqa: B018
