import json
from pathlib import Path
from typing import Any

import pytest
from nr_cli import RunContext, entrypoint, factory, list_entrypoints, main, parse_partial
from nr_cli.errors import CLIError
from nr_cli_sample import Big, Color, Model, Training, positional, sized, train
from nr_config import Config, Partial, load


def run(argv: list[str], fn: Any = train, **kwargs: Any) -> Any:
    return main(fn, argv=argv, **kwargs)


def test_seed_examples(tmp_path: Path) -> None:
    result = run(["model.hidden_size=1024", "training.learning_rate=2e-4"])
    assert result["model"] == Model(hidden_size=1024)
    assert result["training"].learning_rate == 2e-4
    result = run(["model.hidden_size*=2", "training.batch_size+=16", "training.tags+=a"])
    assert result["model"].hidden_size == 1024
    assert result["training"].batch_size == 48
    assert result["training"].tags == ["a"]


def test_operators() -> None:
    result = run(["epochs=10", "epochs-=3", "epochs*=4", "epochs/=2", "name+=_x", "flag|=true"])
    assert (result["epochs"], result["name"], result["flag"]) == (14, "run_x", True)
    result = run(["scores={a: 1}", "scores|={b: 2}", "shape=(1,)", "shape+=[2]"])
    assert result["scores"] == {"a": 1.0, "b": 2.0}
    assert result["shape"] == (1, 2)


def test_names_starting_with_run_are_plain_arguments() -> None:
    assert run(["runtime=120"])["runtime"] == 120


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str], fn: Any = train) -> str:
    with pytest.raises(SystemExit) as caught:
        run(argv, fn)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1
    return err


def test_typo_suggests_the_closest_name(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(["epocks=3"], capsys)
    assert "Unknown argument 'epocks' for train(); did you mean 'epochs'?" in err
    err = usage_error(["model.hiden_size=3"], capsys)
    assert "did you mean 'hidden_size'?" in err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["epochs=x"], "epochs=x"),
        (["model=nope"], "model=nope"),
        (["--bogus"], "--bogus"),
        (["--name"], "--name"),
        (["model.size/=3"], "model.size"),
        (["epochs=1", "stray"], "stray"),
        (["run.executor=nope"], "run.executor=nope"),
        (["out=@missing.yaml"], "missing.yaml"),
        (["mode=medium"], "mode=medium"),
    ],
)
def test_usage_errors_exit_2_naming_the_argument(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert named in usage_error(argv, capsys)


def test_verbose_adds_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(["--verbose", "epochs=x"])
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.strip().endswith("expected an integer, got 'x'")


def test_positional_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["3", "b=y"], positional) == (3, "y")
    assert run(["3", "z"], positional) == (3, "z")
    assert "too many positional" in usage_error(["1", "2", "3"], capsys, positional)
    assert "missing required argument 'a'" in usage_error([], capsys, positional)


def test_export_and_reload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "cfg.yaml"
    assert run(["--to-yaml", str(target), "model=small", "epochs=3"]) is None
    assert load(target) == Partial(train, model=Config(Model, hidden_size=128), epochs=3)
    run(["--to-json", f"{tmp_path / 'all.json'}:train", "epochs=4"])
    assert json.loads((tmp_path / "all.json").read_text())["train"]["epochs"] == 4
    run(["--to-toml", str(tmp_path / "c.toml"), "epochs=5"])
    result = run(["--factory", f"@{target}", "model.num_layers=24"])
    assert result["model"] == Model(hidden_size=128, num_layers=24)
    assert result["epochs"] == 3
    assert "Exported" in capsys.readouterr().err


def test_plain_files_merge_as_arguments(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "model:\n  _factory_: sized(layers=3)\n  dropout: 0.5\n"
        "training:\n  batch_size*=: 2\n  tags: [a]\nepochs: 7\ncolor: BLUE\n"
    )
    result = run(["--factory", "@base.yaml", "model.num_layers=24"])
    assert result["model"] == Model(hidden_size=64, num_layers=24, dropout=0.5)
    assert result["training"] == Training(batch_size=64, tags=["a"])
    assert (result["epochs"], result["color"]) == (7, Color.BLUE)
    (tmp_path / "more.toml").write_text("[extra]\nepochs = 9\n")
    assert run(["--yaml", "more.toml:extra"])["epochs"] == 9
    (tmp_path / "model.json").write_text('{"hidden_size": 8}')
    assert run(["model=@model.json"])["model"] == Model(hidden_size=8)


def test_factory_key_value_and_entrypoint_factories() -> None:
    @factory(target=train)
    def quick() -> Partial[Any]:
        return Partial(train, epochs=2)

    @factory(target=train, target_arg="model")
    def tiny() -> Config[Model]:
        return Config(Model, hidden_size=2)

    result = run(["--factory", "quick", "--factory", "model=tiny", "runtime=1"])
    assert (result["epochs"], result["model"].hidden_size, result["runtime"]) == (2, 2, 1)


def test_run_context_and_executor(capsys: pytest.CaptureFixture[str]) -> None:
    from nr_exec import LocalExecutor

    @factory
    def local() -> Config[LocalExecutor]:
        return Config(LocalExecutor, ntasks_per_node=1)

    result = run(["--dryrun", "run.executor=local", "run.executor.ntasks_per_node=2"])
    assert result.dryrun
    out = capsys.readouterr().out
    assert "LocalExecutor" in out
    assert "ntasks_per_node=2" in out
    # run.executor.<field> works with a default executor alone (no run.executor=...)
    assert run(["--dryrun", "run.executor.ntasks_per_node=3"], default_executor=LocalExecutor())
    assert "ntasks_per_node=3" in capsys.readouterr().out
    # --factory executor=... is run.executor=... for task entrypoints
    assert run(["--dryrun", "--factory", "executor=local"]).dryrun
    assert "LocalExecutor" in capsys.readouterr().out


def test_yes_has_one_meaning_only() -> None:
    from nr_cli.options import parse_options

    options = parse_options(["-y", "--yaml", "f.yaml", "a=1", "--", "--b=2"])
    assert options.yes
    assert options.yaml == ["f.yaml"]
    assert options.overrides == ["a=1", "--b=2"]


def test_help_lists_arguments_factories_and_executors(capsys: pytest.CaptureFixture[str]) -> None:
    from nr_exec import LocalExecutor

    @factory(name="my_local")
    def local() -> Config[LocalExecutor]:
        return Config(LocalExecutor)

    assert run(["--help"]) is None
    out = capsys.readouterr().out
    for expected in ["epochs", "int", "Color.RED", "mixture", "sized", "small", "my_local"]:
        assert expected in out
    for expected in ["--dryrun", "--yes, -y"]:
        assert expected in out


def test_experiment_entrypoint_receives_the_context() -> None:
    seen: list[RunContext] = []

    @entrypoint(type="experiment")
    def sweep(ctx: RunContext, steps: int = 1) -> int:
        seen.append(ctx)
        return steps

    assert run(["steps=4", "--name", "s", "-y", "--detach"], sweep) == 4
    assert seen[0].name == "s"
    assert seen[0].detach
    assert seen[0].yes
    assert "nr_cli_sample" not in list_entrypoints()
    assert any(key.endswith(".sweep") for key in list_entrypoints())


def test_declaration_errors() -> None:
    with pytest.raises(TypeError):
        entrypoint(type="experiment")(lambda x: x)
    with pytest.raises(TypeError):

        @entrypoint
        def bad(executor: int) -> None: ...

    with pytest.raises(TypeError):

        @factory
        def unannotated():
            return 1


def test_parse_partial_helper() -> None:
    assert parse_partial(train, "model=mixture", "model.experts=3").model == Config(Big, experts=3)
    with pytest.raises(CLIError):
        parse_partial(train, "nope=1")
    assert sized.__name__ == "sized"


def test_workspace_file_registers_factories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "workspace.py").write_text(
        "from nr_config import Config\nfrom nr_cli import factory\nfrom nr_cli_sample import Model\n"
        "@factory\ndef from_workspace() -> Config[Model]:\n    return Config(Model, hidden_size=7)\n"
    )
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert run(["model=from_workspace"])["model"].hidden_size == 7


def test_workspace_files_can_be_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "workspace_private.py").write_text("raise RuntimeError('must not run')\n")
    monkeypatch.setenv("INCLUDE_WORKSPACE_FILE", "false")
    assert run(["epochs=2"])["epochs"] == 2
