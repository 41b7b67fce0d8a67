"""NeMo-Run's CLI names work unchanged (issue 15, item 2).

``cmd_defaults`` and `RunContext` take NeMo-Run's keys; ``run.cli.create_cli``, ``run.help``,
``run.lazy_imports``, ``run.LazyEntrypoint`` and ``--lazy`` exist and behave as documented. Every
test runs the user's code in a fresh interpreter.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

TRAIN = """
import sys
from dataclasses import dataclass
from pathlib import Path

import nemo_run as run


@dataclass
class Model:
    hidden_size: int = 256
    layers: int = 2


@run.cli.factory
@run.autoconvert
def my_model(hidden_size: int = 512) -> Model:
    return Model(hidden_size=hidden_size)


@run.cli.factory
@run.autoconvert
def local_exec() -> run.LocalExecutor:
    return run.LocalExecutor()


@run.cli.entrypoint
def train(model: Model, epochs: int = 1, out: str = "") -> None:
    text = f"{model} epochs={epochs}"
    if out:
        Path(out).write_text(text)
    print(text)


@run.cli.factory(target=train)
def quick():
    return run.Partial(train, epochs=2)


DEFAULTS = {
    "skip_confirmation": True, "factory": "quick", "yaml": None, "load": None, "repl": False,
    "detach": False, "tail_logs": False, "dryrun": False, "direct": False, "verbose": False,
    "rich_exceptions": False, "rich_traceback": True, "rich_locals": True, "rich_theme": None,
}

if __name__ == "__main__":
    if sys.argv[1:2] == ["--bad-defaults"]:
        run.cli.main(train, argv=[], cmd_defaults={"skip_confirmaton": True})
    run.cli.main(train, cmd_defaults=DEFAULTS)
"""


def python(
    tmp_path: Path, code: str, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "train.py").write_text(TRAIN)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, input=stdin,
        env={**os.environ, "NEMORUN_HOME": str(tmp_path / "home"), "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))},
    )  # fmt: skip


def script(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return python(tmp_path, "import runpy; runpy.run_path('train.py', run_name='__main__')", *args)


def test_cmd_defaults_take_nemo_run_names(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    # No --yes and an empty stdin: skip_confirmation must stop the prompt; factory starts from quick.
    done = script(tmp_path, "model=my_model", f"out={out}", "run.executor=local_exec")
    assert done.returncode == 0, done.stderr
    assert out.read_text() == "Model(hidden_size=512, layers=2) epochs=2"


def test_an_unknown_cmd_defaults_key_exits_2_with_a_suggestion(tmp_path: Path) -> None:
    done = script(tmp_path, "--bad-defaults")
    assert done.returncode == 2
    assert "unknown cmd_defaults key 'skip_confirmaton'" in done.stderr
    assert "did you mean skip_confirmation" in done.stderr


def test_run_context_takes_nemo_run_names(tmp_path: Path) -> None:
    done = python(
        tmp_path,
        """
        import nemo_run as run

        ctx = run.cli.RunContext(name="x", skip_confirmation=True, factory="base", yaml="a.yaml",
                                 load=None, rich_exceptions=True, rich_theme="dark")
        print(ctx.yes, ctx.skip_confirmation, ctx.factory, ctx.yaml)
        print(run.cli.RunContext(yes=True).skip_confirmation)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "base", "a.yaml", "True"]


def test_load_is_refused_with_a_hint(tmp_path: Path) -> None:
    done = script(tmp_path, "--load", "somewhere", "model=my_model")
    assert done.returncode == 2
    assert "--load is not supported" in done.stderr


def test_create_cli_runs_entrypoints_of_installed_entry_point_groups(tmp_path: Path) -> None:
    package = tmp_path / "demo_cmds"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            import nemo_run as run

            @run.cli.entrypoint
            def hello(name: str, times: int = 1) -> None:
                print(f"hello {name} x{times}")
            """
        )
    )
    metadata = tmp_path / "demo_cmds-0.1.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-cmds\nVersion: 0.1\n")
    (metadata / "entry_points.txt").write_text("[nemo_run.cli]\ndemo = demo_cmds\n")
    code = "import nemo_run as run; run.cli.create_cli()()"
    done = python(tmp_path, code, "demo", "hello", "name=world", "times=2", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello world x2"
    listed = python(tmp_path, code, "--help")
    assert "demo" in listed.stdout
    unknown = python(tmp_path, code, "demo", "helo")
    assert unknown.returncode == 2
    assert "commands: hello" in unknown.stderr
    assert python(tmp_path, code, "version").stdout.startswith("nemorun ")


def test_run_help_lists_arguments_and_factories(tmp_path: Path) -> None:
    done = python(
        tmp_path,
        """
        import nemo_run as run
        import train

        run.help(train.Model)
        print("----")
        run.help(train.train, with_docs=False)
        """,
    )
    assert done.returncode == 0, done.stderr
    about_model, about_train = done.stdout.split("----")
    assert "hidden_size" in about_model
    assert "my_model" in about_model
    assert "train.py" in about_model  # where the factory is defined
    assert "model" in about_train
    assert "Options:" in about_train


def test_lazy_imports_give_placeholders_until_used(tmp_path: Path) -> None:
    done = python(
        tmp_path,
        """
        import nemo_run as run

        with run.lazy_imports():
            from not_installed_anywhere.models import Model
            import not_installed_anywhere.tools as tools
        print(Model.import_path, tools.import_path)
        with run.lazy_imports(fallback_to_lazy=True):
            import json
            from also_missing import thing
        print(json.dumps([1]), thing.import_path)
        try:
            with run.lazy_imports():
                exec("from . import sibling")
        except ImportError as error:
            print("relative:", error)
        """,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "not_installed_anywhere.models.Model not_installed_anywhere.tools"
    assert lines[1] == "[1] also_missing.thing"
    assert lines[2].startswith("relative: relative imports are not supported")


def test_lazy_entrypoint_records_operations_and_resolves(tmp_path: Path) -> None:
    done = python(
        tmp_path,
        """
        import nemo_run as run

        lazy = run.LazyEntrypoint("train:train", factory="quick")
        lazy.model = "my_model(hidden_size=1024)"
        lazy.model.layers = 6
        lazy.epochs *= 5
        print(lazy._args_)
        run.build(lazy.resolve())()
        command = run.LazyEntrypoint("python train.py model=my_model epochs=3")
        run.build(command.resolve())()
        """,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    recorded = "[('model', '=', 'my_model(hidden_size=1024)'), ('model.layers', '=', 6), ('epochs', '*=', 5)]"
    assert lines[0] == recorded
    assert lines[1] == "Model(hidden_size=1024, layers=6) epochs=10"
    assert lines[2] == "Model(hidden_size=512, layers=2) epochs=3"


def test_lazy_mode_exports_the_recorded_command_and_refuses_dryrun(tmp_path: Path) -> None:
    exported = script(tmp_path, "--lazy", "model=my_model", "epochs*=3", "--to-yaml", "lazy.yaml")
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "lazy.yaml").read_text()
    assert "_factory_: quick" in text
    assert "epochs" in text
    assert "'*='" in text
    refused = script(tmp_path, "--lazy", "--dryrun", "model=my_model")
    assert refused.returncode == 2
    assert "--dryrun cannot be combined with --lazy" in refused.stderr
    ran = script(tmp_path, "--lazy", "model=my_model", "model.layers=3", "epochs*=3")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().splitlines()[-1] == "Model(hidden_size=512, layers=3) epochs=6"
