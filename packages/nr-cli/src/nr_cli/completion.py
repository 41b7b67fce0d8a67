"""Shell completion scripts for ``nemorun`` and ``nemo``, written from the argument parser.

``source <(nemorun completion bash)`` (bash; zsh, once ``compinit`` ran, loads the same through
``bashcompinit``) and ``nemorun completion fish | source`` complete commands, ``experiment``
subcommands, their options and, where an experiment is expected, the ids ``nemorun experiment
list -q`` prints.
"""

from __future__ import annotations

import argparse

__all__ = ["completion_script"]

_PROGRAMS = ("nemorun", "nemo")
_ID_COMMANDS = ("status", "logs", "wait", "cancel", "rerun", "diff", "show", "rm")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for action in parser._actions for o in action.option_strings]


def _help_of(parser: argparse.ArgumentParser) -> dict[str, str]:
    """``{name: help}`` of the subcommands of `parser` (an alias has its command's help)."""
    helps: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            described = {
                id(action.choices[a.dest]): a.help or ""
                for a in action._choices_actions
                if a.dest in action.choices
            }
            for name, sub in action.choices.items():
                helps[name] = described.get(id(sub)) or sub.description or ""
    return helps


class _Model:
    """What the scripts complete: top-level commands, experiment subcommands, options."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        commands = _subcommands(parser)
        self.top = sorted(commands)
        self.top_help = _help_of(parser)
        experiment = commands["experiment"]
        self.experiment_names = sorted(n for n, p in commands.items() if p is experiment)
        self.subs = _subcommands(experiment)
        self.sub_help = _help_of(experiment)
        self.options = {name: _options(sub) for name, sub in self.subs.items()}


def _bash(model: _Model) -> str:
    cases = "\n".join(
        f"            {name}) opts={' '.join(opts)!r} ;;"
        for name, opts in sorted(model.options.items())
    )
    ids = " ".join(n for n in model.subs if n in _ID_COMMANDS)
    return f"""# nemorun completion for bash: source <(nemorun completion bash)
_nemorun_complete() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}"
    local program="${{COMP_WORDS[0]}}"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=( $(compgen -W "{" ".join(model.top)} --help --version" -- "$cur") )
        return 0
    fi
    case "${{COMP_WORDS[1]}}" in
        {"|".join(model.experiment_names)})
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=( $(compgen -W "{" ".join(sorted(model.subs))}" -- "$cur") )
                return 0
            fi
            local opts=""
            case "${{COMP_WORDS[2]}}" in
{cases}
            esac
            if [[ "$cur" == -* ]]; then
                COMPREPLY=( $(compgen -W "$opts --help" -- "$cur") )
                return 0
            fi
            case " {ids} " in
                *" ${{COMP_WORDS[2]}} "*)
                    COMPREPLY=( $(compgen -W "$("$program" experiment list -q 2>/dev/null)" \\
                        -- "$cur") ) ;;
            esac
            ;;
        completion)
            COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") ) ;;
    esac
    return 0
}}
complete -F _nemorun_complete {" ".join(_PROGRAMS)}
"""


_ZSH_HEAD = """\
# nemorun completion for zsh: source <(nemorun completion zsh), after compinit
if (( ! $+functions[compdef] )); then
    print -u2 "nemorun completion: zsh's completion system is not loaded;" \\
        "run 'autoload -U compinit && compinit' first"
    return 1
fi
autoload -U +X bashcompinit && bashcompinit
"""


def _zsh(model: _Model) -> str:
    return f"#compdef {' '.join(_PROGRAMS)}\n" + _ZSH_HEAD + _bash(model).split("\n", 1)[1]


def _fish_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(model: _Model) -> str:
    lines = ["# nemorun completion for fish: nemorun completion fish | source"]
    experiment = " ".join(model.experiment_names)
    subs = " ".join(sorted(model.subs))
    for program in _PROGRAMS:
        head = f"complete -c {program}"
        lines.append(f"{head} -f")
        for name in model.top:
            described = _fish_text(model.top_help.get(name, ""))
            lines.append(f"{head} -n __fish_use_subcommand -a {name} -d {described}")
        lines.append(f"{head} -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'")
        for name in sorted(model.subs):
            described = _fish_text(model.sub_help.get(name, ""))
            condition = (
                f"'__fish_seen_subcommand_from {experiment}; "
                f"and not __fish_seen_subcommand_from {subs}'"
            )
            lines.append(f"{head} -n {condition} -a {name} -d {described}")
        for name, options in sorted(model.options.items()):
            for option in options:
                flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
                lines.append(f"{head} -n '__fish_seen_subcommand_from {name}' {flag}")
            if name in _ID_COMMANDS:
                ids = f"'({program} experiment list -q 2>/dev/null)'"
                lines.append(f"{head} -n '__fish_seen_subcommand_from {name}' -a {ids}")
    return "\n".join(lines) + "\n"


def completion_script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script of `shell` for the application `parser` describes.

    Args:
        shell: ``"bash"``, ``"zsh"`` or ``"fish"``.
        parser: The application's parser (`nr_cli.app_parser.build_parser`).

    Returns:
        The script, to be sourced by the shell.

    Raises:
        ValueError: Another shell.
    """
    writers = {"bash": _bash, "zsh": _zsh, "fish": _fish}
    if shell not in writers:
        raise ValueError(f"no completion for {shell!r}; one of {', '.join(writers)}")
    return writers[shell](_Model(parser))
