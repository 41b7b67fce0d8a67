"""``nemorun completion bash|zsh|fish`` loaded in the real shells, asked what they complete.

Each shell sources the script the installed ``nemorun`` prints and completes ``nemorun ex``
(the command), ``nemorun exp st`` (a subcommand of the alias), ``nemorun experiment list --li``
(an option) and ``nemorun exp status pa`` (an experiment id, from ``nemorun experiment list
-q``). zsh runs interactively in a pseudo-terminal (``zsh -f``, then ``compinit``) and is sent
Tab keys; what its completion system was offered is recorded by a ``compadd`` wrapper. A shell
that is not installed skips its test, or fails it with ``NR_REQUIRE_BACKENDS=1`` (the testbed
installs bash, zsh and fish).
"""

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PROBES = ("nemorun ex", "nemorun exp st", "nemorun experiment list --li", "nemorun exp status pa")


def expected(pair: str) -> list[set[str]]:
    """What each of `PROBES` completes to."""
    return [{"exp", "experiment"}, {"status"}, {"--limit"}, {pair}]


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, make_experiment: Callable[..., str]
) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("completion")
    return root / "home", make_experiment(root, "pair")


def shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        reason = f"{name} is not installed (tools/testbed/up.sh installs it)"
        if os.environ.get("NR_REQUIRE_BACKENDS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def environment(home: Path, **extra: str) -> dict[str, str]:
    """The user's environment: the installed ``nemorun`` first on PATH, the experiments' home."""
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "nemorun").is_file(), "the nemorun console script is installed"
    return {
        **os.environ, "NEMORUN_HOME": str(home), "PATH": f"{bin_dir}:{os.environ['PATH']}",
        **extra,
    }  # fmt: skip


def test_bash_loads_the_script_and_completes(pair: tuple[Path, str]) -> None:
    home, pair_id = pair
    probe = "source <(nemorun completion bash)\ncomplete -p nemo\n"
    for line in PROBES:
        words = " ".join(f"'{word}'" for word in line.split())
        probe += (
            f"COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _nemorun_complete\n"
            'echo "${COMPREPLY[*]}"\n'
        )
    done = subprocess.run(
        [shell("bash"), "--norc", "-c", probe], capture_output=True, text=True,
        env=environment(home), check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    registered, *lines = done.stdout.splitlines()
    assert registered.split() == ["complete", "-F", "_nemorun_complete", "nemo"]
    assert [set(line.split()) for line in lines] == expected(pair_id)


def test_zsh_registers_the_completion_and_completes(
    pair: tuple[Path, str], tmp_path: Path, terminal: Callable[..., Any]
) -> None:
    home, pair_id = pair
    offered = tmp_path / "offered"
    env = environment(home, HOME=str(tmp_path), ZDOTDIR=str(tmp_path), PS1="ready> ")
    zsh = terminal([shell("zsh"), "-f", "-i"], env=env, columns=120, cwd=tmp_path)
    zsh.read_until("ready> ")
    zsh.write("autoload -U compinit; compinit -u; source <(nemorun completion zsh)\n")
    zsh.read_until("ready> ")
    zsh.write('print -r -- "for""<${_comps[nemorun]}|${_comps[nemo]}>"\n')
    [registered] = re.findall(r"for<([^>]*)>", zsh.read_until("ready> "))
    assert registered.split("|") == ["_bash_complete -F _nemorun_complete"] * 2
    zsh.write(  # record what completion offers (candidates given to compadd)
        'compadd() { local -a hits; builtin compadd -A hits "$@"; '
        f'print -rl -- $hits >> {offered}; builtin compadd "$@"; }}\n'
    )
    zsh.read_until("ready> ")
    got = []
    for line in PROBES:
        offered.write_text("")
        zsh.write(f"{line}\t")
        deadline = time.monotonic() + 60
        while not offered.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        got.append(set(offered.read_text().split()))
        zsh.write("\x15")  # Ctrl+U: the line is dropped
    assert got == expected(pair_id)


def test_zsh_without_compinit_says_what_to_run_first(pair: tuple[Path, str]) -> None:
    home, _ = pair
    done = subprocess.run(
        [shell("zsh"), "-f", "-c", "source <(nemorun completion zsh)"], capture_output=True,
        text=True, env=environment(home), check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "run 'autoload -U compinit && compinit' first" in done.stderr


def test_fish_completes_after_sourcing_the_script(pair: tuple[Path, str]) -> None:
    home, pair_id = pair
    probe = "nemorun completion fish | source\n"
    probe += "".join(f"complete -C '{line}'\necho ---\n" for line in PROBES)
    done = subprocess.run(
        [shell("fish"), "--no-config", "-c", probe], capture_output=True, text=True,
        env=environment(home), check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    blocks = done.stdout.split("---\n")[:-1]
    candidates = [dict(line.partition("\t")[::2] for line in b.splitlines()) for b in blocks]
    assert [set(c) for c in candidates] == expected(pair_id)
    described = candidates[0]
    assert described["exp"] == described["experiment"] != ""  # an alias, described the same
    assert "job states" in candidates[1]["status"]
