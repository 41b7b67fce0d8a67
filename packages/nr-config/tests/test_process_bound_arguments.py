"""Issue 14 item 11: a lock or an open file in a configuration is a SerializationError at its path."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from nr_config import Config, Partial, SerializationError, clone


def train(model: object = None, lock: object = None, log: object = None) -> None:
    del model, lock, log


def test_lock_argument_names_its_path() -> None:
    with pytest.raises(SerializationError) as caught:
        clone(Partial(train, lock=threading.Lock()))
    assert caught.value.path == "lock"
    assert "_thread.lock" in str(caught.value)
    assert str(caught.value).startswith("lock (argument of train): holds a _thread.lock object")


def test_nested_open_file_names_the_full_path_and_the_file(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    with log.open("w", encoding="utf-8") as handle, pytest.raises(SerializationError) as caught:
        clone(Partial(train, model=Config(train, log=handle)))
    assert caught.value.path == "model.log"
    assert f"holds an open file ({str(log)!r})" in str(caught.value)


def test_copyable_values_still_clone() -> None:
    original = Partial(train, model=Config(train, log=[1, 2]))
    copied = clone(original)
    assert copied == original
    assert copied.model is not original.model


def test_user_script_gets_the_error_not_a_raw_pickle_error(tmp_path: Path) -> None:
    script = tmp_path / "launch.py"
    script.write_text(
        "import threading\n"
        "import nemo_run as run\n"
        "def train(lock=None):\n"
        "    pass\n"
        "if __name__ == '__main__':\n"
        "    run.run(run.Partial(train, lock=threading.Lock()), executor=run.LocalExecutor(),"
        " dryrun=True)\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"NEMORUN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "nr_config.errors.SerializationError: lock (argument of train): holds a _thread.lock"
    ), result.stderr
