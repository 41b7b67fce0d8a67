"""Serialization: canonical form, JSON, YAML, TOML, Python code (issue points 8 and 9)."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import pathlib
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nr_config as nc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


class Color(enum.Enum):
    RED = 1
    GREEN = "g"


@dataclasses.dataclass
class Layer:
    size: int = 1


def anything(**kwargs: Any) -> dict[str, Any]:
    return kwargs


def train(model: Layer, steps: int = 1) -> tuple[Layer, int]:
    return model, steps


FORMATS: list[tuple[str, Callable[[Any], str], Callable[[str], Any]]] = [
    ("json", nc.dumps_json, nc.loads_json),
    ("yaml", nc.dumps_yaml, nc.loads_yaml),
    ("toml", nc.dumps_toml, nc.loads_toml),
]


def canonical(value: Any) -> str:
    """Canonical JSON with sorted keys (TOML writes sub-tables after plain values)."""
    return json.dumps(nc.to_dict(value), sort_keys=True)


# --- property tests ------------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
keys = st.one_of(st.text(max_size=8), st.sampled_from(["_target_", "_ref_", "_type_", "_id_"]))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.binary(max_size=8),
    st.sampled_from([Color.RED, Color.GREEN, Path("/a/b"), pathlib.PurePosixPath("x"), len, Layer]),
    st.frozensets(st.integers(), max_size=3),
    st.sets(st.text(max_size=3), max_size=3),
)


def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(keys, children, max_size=3),
        st.dictionaries(st.integers(), children, max_size=2),
        st.builds(
            lambda kw: nc.Config(anything, **kw), st.dictionaries(names, children, max_size=3)
        ),
        st.builds(
            lambda kw: nc.Partial(anything, **kw), st.dictionaries(names, children, max_size=3)
        ),
    )


values = st.recursive(leaves, extend, max_leaves=12)


@st.composite
def graphs(draw: st.DrawFn) -> nc.Config[Any]:
    shared = nc.Config(anything, value=draw(values))
    return nc.Config(anything, first=shared, rest=[shared, draw(values)], other={"x": (shared,)})


@pytest.mark.parametrize(("fmt", "dumps", "loads"), FORMATS, ids=[f[0] for f in FORMATS])
@settings(max_examples=60, deadline=None)
@given(value=values)
def test_round_trip_is_exact(
    fmt: str, dumps: Callable[[Any], str], loads: Callable[[str], Any], value: Any
) -> None:
    del fmt
    loaded = loads(dumps(value))
    assert loaded == value
    assert canonical(loaded) == canonical(value)  # same types, not only equal values


@pytest.mark.parametrize(("fmt", "dumps", "loads"), FORMATS, ids=[f[0] for f in FORMATS])
@settings(max_examples=30, deadline=None)
@given(graph=graphs())
def test_sharing_survives(
    fmt: str, dumps: Callable[[Any], str], loads: Callable[[str], Any], graph: nc.Config[Any]
) -> None:
    del fmt
    loaded = loads(dumps(graph))
    assert loaded == graph
    assert loaded.first is loaded.rest[0] is loaded.other["x"][0]


@settings(max_examples=60, deadline=None)
@given(value=values)
def test_to_code_rebuilds_equal_graph(value: Any) -> None:
    namespace: dict[str, Any] = {}
    exec(nc.to_code(value), namespace)  # noqa: S102 - the code under test
    assert namespace["config"] == value
    assert canonical(namespace["config"]) == canonical(value)


# --- canonical form ---------------------------------------------------------------------------


def test_canonical_form_is_hydra_style() -> None:
    shared = nc.Config(Layer, size=2)
    data = nc.to_dict(nc.Partial(train, model=shared, steps=3))
    module = Layer.__module__
    assert data == {
        "_target_": f"{module}:train",
        "_partial_": True,
        "model": {"_target_": f"{module}:Layer", "size": 2},
        "steps": 3,
    }
    both = nc.to_dict(nc.Config(anything, a=shared, b=shared, f=len))
    assert both["a"]["_id_"] == 1
    assert both["b"] == {"_ref_": 1}
    assert both["f"] == {"_target_": "builtins:len", "_call_": False}


def test_special_floats_and_null_are_explicit() -> None:
    cfg = nc.Config(anything, a=math.inf, b=-math.inf, c=math.nan, d=None)
    for _, dumps, loads in FORMATS:
        text = dumps(cfg)
        loaded = loads(text)
        assert loaded.a == math.inf
        assert loaded.b == -math.inf
        assert math.isnan(loaded.c)
        assert "d" in loaded.__arguments__
        assert loaded.d is None
    assert "NaN" not in nc.dumps_json(cfg)  # strict JSON
    assert '_type_ = "none"' in nc.dumps_toml(cfg)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (lambda: 1, "lambda"),
        (object(), "object"),
        (Layer(), "Layer"),  # only reachable when mutated in place, see below
    ],
)
def test_unrepresentable_values_are_refused_with_path(value: Any, fragment: str) -> None:
    cfg = nc.Config(anything, inner=nc.Config(anything, items=[1]))
    cfg.inner.items.append(value)  # in-place edits bypass conversion, serialization still refuses
    with pytest.raises(nc.SerializationError) as info:
        nc.dumps_json(cfg)
    assert info.value.path == "inner.items[1]"
    assert fragment in str(info.value)


def test_open_file_and_local_function_are_refused(tmp_path: Path) -> None:
    def local() -> None:
        return None

    with (tmp_path / "f.txt").open("w") as handle, pytest.raises(nc.SerializationError) as info:
        nc.to_dict(nc.Config(anything, handle=handle))
    assert info.value.path == "handle"
    with pytest.raises(nc.SerializationError, match="not importable"):
        nc.to_dict(nc.Config(local))


def test_reserved_argument_name_is_refused() -> None:
    with pytest.raises(nc.SerializationError, match="reserved"):
        nc.to_dict(nc.Config(anything, _target_=1))


def test_loading_validates_arguments() -> None:
    module = Layer.__module__
    with pytest.raises(nc.ConfigTypeError) as info:
        nc.from_dict(
            {"_target_": f"{module}:train", "model": {"_target_": f"{module}:Layer", "size": "x"}}
        )
    assert info.value.path == "model.size"
    with pytest.raises(nc.UnknownArgumentError):
        nc.from_dict({"_target_": f"{module}:Layer", "sise": 1})


@pytest.mark.parametrize(
    "data",
    [
        {"_target_": "no_such_module_xyz:thing"},
        {"_target_": "os:no_such_function"},
        {"_target_": "__import__('os').system('echo hacked')"},
        {"_ref_": 3},
        {"_type_": "unknown"},
        {"_type_": "path", "class": "Popen", "value": "x"},
    ],
)
def test_malformed_documents_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(nc.DeserializationError):
        nc.from_dict(data)


def test_loading_imports_only_named_modules(tmp_path: Path) -> None:
    document = tmp_path / "cfg.json"
    document.write_text(
        json.dumps(
            {
                "_target_": "colorsys:rgb_to_hsv",
                "_partial_": True,
                "r": {"_target_": "shlex:quote", "_call_": False},
            }
        )
    )
    probe = textwrap.dedent(
        f"""
        import sys, nr_config
        load = nr_config.load  # nr_config loads its own modules on first use
        before = set(sys.modules)
        cfg = load({str(document)!r})
        print(sorted(set(sys.modules) - before))
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    new_modules = set(json.loads(out.stdout.replace("'", '"')))
    assert {"colorsys", "shlex"} <= new_modules
    assert new_modules <= {
        "colorsys",
        "shlex",
        "json",
        "json.decoder",
        "json.scanner",
        "_json",
        "json.encoder",
    }


def test_main_targets_need_a_saved_main_module(tmp_path: Path) -> None:
    script = tmp_path / "launch.py"
    script.write_text(
        textwrap.dedent(
            """
            import dataclasses, sys
            import nr_config

            @dataclasses.dataclass
            class Job:
                n: int = 1

            def run(job: Job) -> int:
                return job.n * 10

            if __name__ == "__main__":
                print(nr_config.dumps_json(nr_config.Partial(run, job=Job(n=4))))
            """
        )
    )
    text = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout
    assert '"_target_": "__main__:run"' in text
    with pytest.raises(nc.DeserializationError, match="main_module"):
        nc.loads_json(text)
    task = nc.loads_json(text, main_module=script)
    assert task.build()() == 40
    nc.register_main_module(script)
    try:
        assert nc.loads_json(text).build()() == 40
    finally:
        nc.register_main_module(None)


def test_dump_and_load_files_with_sections(tmp_path: Path) -> None:
    cfg = nc.Partial(train, model=nc.Config(Layer, size=2))
    for suffix in (".json", ".yaml", ".yml", ".toml"):
        path = tmp_path / f"cfg{suffix}"
        nc.dump(cfg, path)
        assert nc.load(path) == cfg
        nc.dump(nc.Config(Layer), f"{path}:other")
        assert nc.load(f"{path}:other") == nc.Config(Layer)
    with pytest.raises(nc.ConfigError, match="unknown format"):
        nc.dump(cfg, tmp_path / "cfg.txt")
    with pytest.raises(nc.ConfigError, match="no section"):
        nc.load(f"{tmp_path / 'cfg.json'}:missing")


def test_top_level_non_table_in_toml() -> None:
    assert nc.loads_toml(nc.dumps_toml([1, None])) == [1, None]


def test_compact_json_for_shipping() -> None:
    cfg = nc.Partial(train, model=nc.Config(Layer))
    text = nc.dumps_json(cfg, indent=None)
    assert "\n" not in text
    assert nc.loads_json(text) == cfg


def test_to_code_is_readable() -> None:
    shared = nc.Config(Layer, size=2)
    code = nc.to_code(nc.Partial(train, model=shared, steps=3), name="task")
    assert "from nr_config import Config, Partial" in code
    assert repr(Layer.__module__) in code  # not an identifier: imported with importlib
    assert "task = Partial(" in code
    with pytest.raises(nc.SerializationError):
        nc.to_code(nc.Config(anything, f=lambda: 1))


def test_two_saved_main_scripts_in_one_process_both_serialize_as_main(tmp_path: Path) -> None:
    from nr_config.serialization.refs import _as_module

    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text("def alpha(x: int = 1) -> int:\n    return x\n")
    second.write_text("def beta(y: int = 2) -> int:\n    return y\n")
    for path, name in ((first, "alpha"), (second, "beta")):
        function = getattr(_as_module(path), name)
        data = nc.to_dict(nc.Partial(function))
        assert data["_target_"] == f"__main__:{name}"
        rebuilt = nc.from_dict(data, main_module=path)
        assert rebuilt.__fn_or_cls__ is function
