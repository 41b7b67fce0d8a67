"""NeMo-Run's config behaviour, written as its users write it (issue 15, items 5, 8 and 11).

Config files with dotted ``_target_`` references, ``OptionalDefaultConfig``, ``cfg.walk`` passing
the owning configuration, builtin and dict-literal targets, graph views and `ConfigurableMixin`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Annotated, Optional

import nemo_run as run
import nr_config
import pytest
from nemo_run.config import OptionalDefaultConfig, OptionalDefaultPartial

MODELS = """
import dataclasses


@dataclasses.dataclass
class Model:
    hidden: int = 8
    activation: object = None


class Outer:
    @dataclasses.dataclass
    class Inner:
        depth: int = 1


def relu(x: float) -> float:
    return max(x, 0.0)


def train(model: Model, lr: float = 0.1, steps: int = 1) -> str:
    return f"{model.hidden} {model.activation.__name__} lr={lr} steps={steps}"
"""

#: What NeMo-Run's YAML serializer writes for ``run.Partial(train, model=run.Config(Model, ...))``.
NEMO_RUN_YAML = """\
_target_: compat_models.train
_partial_: true
lr: 0.5
model:
  _target_: compat_models.Model
  hidden: 32
  activation:
    _target_: compat_models.relu
    _call_: false
"""


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user module ``compat_models`` importable from a fresh directory."""
    (tmp_path / "compat_models.py").write_text(MODELS)
    (tmp_path / "broken_models.py").write_text("import not_installed_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Item 5: config files interoperate ---------------------------------------------------------------


def test_nemo_run_exported_yaml_json_and_toml_load(models: Path) -> None:
    import yaml

    data = yaml.safe_load(NEMO_RUN_YAML)
    (models / "task.yaml").write_text(NEMO_RUN_YAML)
    (models / "task.json").write_text(json.dumps(data, indent=2))
    (models / "task.toml").write_text(
        'lr = 0.5\n_target_ = "compat_models.train"\n_partial_ = true\n\n'
        '[model]\n_target_ = "compat_models.Model"\nhidden = 32\n\n'
        '[model.activation]\n_target_ = "compat_models.relu"\n_call_ = false\n'
    )
    for name in ("task.yaml", "task.json", "task.toml"):
        task = run.load(name)
        assert isinstance(task, run.Partial), name
        assert task.build()(steps=2) == "32 relu lr=0.5 steps=2", name
    assert run.loads_yaml(NEMO_RUN_YAML) == run.load("task.yaml")


def test_dotted_targets_reach_nested_classes_and_main(models: Path) -> None:
    inner = run.loads_yaml("_target_: compat_models.Outer.Inner\ndepth: 3\n")
    assert inner.build().depth == 3
    assert run.loads_json('{"_target_": "compat_models:Outer.Inner"}').build().depth == 1


def test_writing_keeps_the_colon_form_and_offers_the_dotted_one(models: Path) -> None:
    import compat_models

    task = run.Partial(compat_models.train, model=run.Config(compat_models.Model, hidden=4))
    assert "_target_: compat_models:train" in run.dumps_yaml(task)
    dotted = run.dumps_yaml(task, dotted_targets=True)
    assert "_target_: compat_models.train" in dotted
    assert "_target_: compat_models.Model" in dotted
    assert run.loads_yaml(dotted) == task
    assert '"compat_models.Model"' in run.dumps_json(task, dotted_targets=True)
    assert '"compat_models.Model"' in run.dumps_toml(task, dotted_targets=True)
    run.dump(task, "out.toml:task", dotted_targets=True)
    assert "compat_models.train" in Path("out.toml").read_text()
    assert run.load("out.toml:task") == task


def test_unresolvable_dotted_targets_say_what_failed(models: Path) -> None:
    with pytest.raises(nr_config.DeserializationError, match=r"no_such_package\.Model"):
        run.loads_yaml("_target_: no_such_package.Model\n")
    with pytest.raises(nr_config.DeserializationError, match="has no attribute 'Missing'"):
        run.loads_yaml("_target_: compat_models.Missing\n")
    # A module that exists but fails to import is reported, not skipped for a shorter prefix.
    with pytest.raises(nr_config.DeserializationError, match="not_installed_dependency"):
        run.loads_yaml("_target_: broken_models.Model\n")


# Item 8: config semantics ------------------------------------------------------------------------


@dataclasses.dataclass
class Optimizer:
    lr: float = 0.01


def fit(
    optim: OptionalDefaultConfig[Optimizer] = None,
    scheduler: Annotated[Optional[Optimizer], run.Config[Optimizer]] = None,  # noqa: UP045
    factory: OptionalDefaultPartial[Optimizer] = None,
) -> tuple[Optimizer | None, Optimizer | None, object]:
    return optim, scheduler, factory


def test_optional_default_config_parameters_start_as_empty_configs() -> None:
    task = run.Partial(fit)
    assert task.optim == run.Config(Optimizer)
    assert task.scheduler == run.Config(Optimizer)
    assert task.factory == run.Partial(Optimizer)
    optim, scheduler, factory = task.build()()
    assert optim == Optimizer()
    assert scheduler == Optimizer()
    assert callable(factory)
    assert factory() == Optimizer()
    assert run.Partial(fit, optim=None).build()()[0] is None  # an explicit None is kept
    with pytest.raises(nr_config.ConfigTypeError):  # values are still type-checked
        run.Partial(fit, optim="fast")


@dataclasses.dataclass
class Block:
    size: int = 1
    width: int = 2


def network(blocks: list[Block], head: Block) -> list[Block]:
    return [*blocks, head]


def test_walk_method_passes_the_owning_config_and_the_function_the_value() -> None:
    cfg = run.Config(network, blocks=[Block(1, 10)], head=Block(size=3))
    seen: list[object] = []

    def from_owner(owner: run.Config[Block]) -> int:
        seen.append(owner)
        return owner.size * owner.width

    walked = cfg.walk(size=from_owner)
    assert all(isinstance(owner, run.Config) for owner in seen)
    assert walked.blocks[0].size == 10
    assert walked.head.size == 6
    assert cfg.blocks[0].size == 1  # a copy by default
    assert cfg.walk(size=lambda owner: 0, inplace=True) is cfg  # NeMo-Run's in-place form
    assert cfg.head.size == 0
    by_value = run.walk(cfg, size=lambda size: size + 1)  # the function passes the old value
    assert by_value.head.size == 1
    assert cfg.broadcast(width=7).head.width == 7
    assert cfg.head.width == 2
    assert cfg.broadcast(width=7, inplace=True) is cfg
    assert cfg.blocks[0].width == 7


def test_builtin_and_dict_literal_targets_are_accepted() -> None:
    assert run.Config(int, 3).build() == 3
    assert run.Config(int, "ff", 16).build() == 255
    assert run.Config(str, 5).build() == "5"
    assert run.Config(bool, 1).build() is True
    literal = run.Config({}, a=1, b=run.Config(int, 2))
    assert literal.__fn_or_cls__ is dict
    assert literal.build() == {"a": 1, "b": 2}
    generic = run.Config(dict[str, int], a=1)
    assert generic.__fn_or_cls__ is dict
    assert run.loads_json(run.dumps_json(generic)) == generic


class Base:
    pass


class Special(Base):
    pass


def test_null_and_forward_ref_helpers_for_the_command_line() -> None:
    from typing import Any, ForwardRef

    from nr_config.signatures import signature_info
    from nr_config.validation import accepts_none, matches_type

    def entry(a, b, c, d, e, f, g):  # type: ignore[no-untyped-def]  # noqa: PLR0917
        del a, b, c, d, e, f, g

    # As written without ``from __future__ import annotations``: "Missing" cannot be resolved.
    entry.__annotations__ = {
        "b": Any, "c": Optional[int], "d": int | None, "e": int,  # noqa: UP045
        "f": "Missing", "g": ForwardRef("Special"),
    }  # fmt: skip
    hints = signature_info(entry).annotations
    assert hints["f"] == ForwardRef("Missing")
    assert hints["e"] is int
    accepted = {name: accepts_none(signature_info(entry).annotation(name)) for name in "abcdef"}
    assert accepted == {"a": True, "b": True, "c": True, "d": True, "e": False, "f": True}
    assert matches_type(hints["g"], Special)
    assert matches_type(ForwardRef("Base"), Special)
    assert matches_type(f"{__name__}.Special", Special)
    assert not matches_type(ForwardRef("Special"), Base)
    assert matches_type(Optional[run.Config[Base]], Special)  # noqa: UP045
    assert not matches_type(int | None, Special)


# Item 11: views ----------------------------------------------------------------------------------


def _nested() -> run.Config[list[Block]]:
    return run.Config(network, blocks=[Block(1)], head=run.Config(Block, size=12345678901234))


def test_visualize_options_shape_the_graph() -> None:
    pytest.importorskip("graphviz")
    full = _nested().visualize().source
    assert full.count("->") == 2  # network -> blocks[0], network -> head
    shallow = _nested().visualize(max_depth=0).source
    assert "->" not in shallow
    assert "Config[Block](size=12345678901234)" in shallow
    short = _nested().visualize(max_str_length=12).source
    assert "size = 12..." in short
    assert "12345678901234" not in short
    assert "splines=curved" in _nested().visualize(curved_edges=True).source
    assert "rankdir=TB" in _nested().visualize(rankdir="TB").source


def test_save_config_img_writes_a_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("graphviz")
    with pytest.raises(ValueError, match=r"\.png"):
        _nested().save_config_img(tmp_path / "graph.jpg")
    if shutil.which("dot") is not None:
        written = _nested().save_config_img(tmp_path / "images")
        assert written == tmp_path / "images" / "config.png"
        assert written.read_bytes().startswith(b"\x89PNG")
        assert nr_config.save_config_img(_nested(), tmp_path / "g.png").is_file()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(nr_config.MissingExtraError, match="'dot' program"):
        _nested().save_config_img(tmp_path / "again.png")


def test_jupyter_shows_the_graph_or_falls_back_to_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("graphviz")
    cfg = run.Config(Block, size=3)
    if shutil.which("dot") is not None:
        svg = cfg._repr_svg_()
        assert svg is not None
        assert "<svg" in svg
        assert "Config[Block]" in svg
        assert cfg._repr_html_().startswith('<div class="nr-config"><svg')
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert cfg._repr_svg_() is None
    shown = run.Config(network, blocks=[], head=run.Config(Block, size=3))._repr_html_()
    assert "<code>Config[network]</code>" in shown
    assert "<b>size</b> = <code>3</code>" in shown


# ConfigurableMixin -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class Runner(nr_config.ConfigurableMixin):
    nodes: int = 1
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    inner: Block = dataclasses.field(default_factory=Block)


class NotADataclass(nr_config.ConfigurableMixin):
    pass


def test_configurable_mixin_describes_any_dataclass() -> None:
    runner = Runner(nodes=2, env={"A": "1"})
    cfg = runner.to_config()
    assert cfg.__fn_or_cls__ is Runner
    assert cfg.inner == run.Config(Block, size=1, width=2)
    assert cfg.build() == runner
    assert nr_config.to_config(runner) == cfg  # also converted when given as an argument
    (change,) = Runner(nodes=4, env={"A": "1"}).diff(runner)
    assert (change.path, change.old, change.new) == ("nodes", 2, 4)
    with pytest.raises(NotImplementedError, match="override to_config"):
        NotADataclass().to_config()
    script = run.Script(inline="echo hi")
    assert isinstance(script, nr_config.ConfigurableMixin)
    assert script.to_config().build() == script
