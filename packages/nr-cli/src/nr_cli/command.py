"""Running an entrypoint as a command: options, overrides, export, dry run, confirm, launch.

`main` is the front door (``run.cli.main(fn)``); `parse_cli_args` and friends give the resolved
configuration without running anything.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nr_config import Buildable, Config, ConfigError, Partial, build, dump
from nr_config.signatures import NO_DEFAULT, signature_info
from nr_exec.constants import EnvVar
from nr_exec.describe import describe

from nr_cli.context import RunContext
from nr_cli.entrypoints import ENTRYPOINT_ATTRIBUTE, Entrypoint
from nr_cli.errors import CLIError, ValueParseError
from nr_cli.files import is_file_reference, read_data
from nr_cli.grammar import Assignment, Positional, parse_call
from nr_cli.launched import launched_jobs
from nr_cli.lazy import LazyEntrypoint, lazy_cli_enabled, record_lazy_entrypoint
from nr_cli.options import Options, parse_options
from nr_cli.overrides import apply_overrides, parse_tokens
from nr_cli.registry import discover, namespace_of
from nr_cli.values import apply_mapping, call_factory

__all__ = [
    "Invocation",
    "JobsFailedError",
    "LaunchDeclined",
    "main",
    "parse_cli_args",
    "parse_config",
    "parse_invocation",
    "parse_partial",
    "run_main",
]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_RUN_PREFIX = "run."
_RUN_SHORTHANDS = ("executor", "plugins")
_CONTEXT_FLAGS = (
    "name",
    "direct",
    "dryrun",
    "detach",
    "yes",
    "tail_logs",
    "verbose",
    "repl",
    "dotted_targets",
)


@dataclasses.dataclass
class Invocation:
    """A parsed command: the task configuration, the run context and the options.

    Attributes:
        entrypoint: The entrypoint invoked.
        task: The resolved ``Partial`` of the function (without the run context argument).
        context: The built `RunContext`.
        options: The parsed options.
        lazy: In ``--lazy`` mode, the recorded command; `task` is then resolved from it only
            when the task launches.
    """

    entrypoint: Entrypoint
    task: Partial[Any]
    context: RunContext
    options: Options
    lazy: LazyEntrypoint | None = None


def _split_run_tokens(
    point: Entrypoint, tokens: Sequence[Assignment | Positional], keyed: Sequence[Assignment]
) -> tuple[list[Assignment | Positional], list[Assignment]]:
    parameters = signature_info(point.fn).names
    run_tokens: list[Assignment] = []
    for token in keyed:
        head = token.path.split(".", 1)[0].split("[", 1)[0]
        if head in _RUN_SHORTHANDS and head not in parameters:
            run_tokens.append(token)
    task_tokens: list[Assignment | Positional] = [t for t in keyed if t not in run_tokens]
    for item in tokens:
        if isinstance(item, Assignment) and item.path.startswith(_RUN_PREFIX):
            if not point.enable_executor:
                raise CLIError(
                    "this command takes no run options", argument=str(item), hint="drop it"
                )
            path = item.path[len(_RUN_PREFIX) :]
            run_tokens.append(Assignment(path, item.op, item.value, item.prefix))
        else:
            task_tokens.append(item)
    return task_tokens, run_tokens


def _as_partial(node: Any, point: Entrypoint, argument: str) -> Partial[Any]:
    if isinstance(node, Buildable) and node.__fn_or_cls__ is point.fn:
        if isinstance(node, Partial):
            return node
        return Partial(point.fn, **node.__arguments__)
    raise ValueParseError(
        f"expected a configuration of {point.name}(), got {node!r}", argument=argument
    )


def _base_task(point: Entrypoint, base: str | None, holder: Config[Any]) -> Partial[Any]:
    scopes = (namespace_of(point.fn),)
    if base is None:
        if point.default_factory is None:
            return Partial(point.fn)
        return _as_partial(point.default_factory(), point, "default_factory")
    if is_file_reference(base):
        task = Partial(point.fn)
        _merge_file(task, holder, base, point)
        return task
    call = parse_call(base)
    if call is None:
        raise ValueParseError(
            "expected a factory name, name(key=value, ...) or @file", argument=base
        )
    node = call_factory(call, point.fn, argument=base, scopes=scopes, kind=Partial)
    return _as_partial(node, point, base)


def _merge_file(task: Partial[Any], holder: Config[Any], reference: str, point: Entrypoint) -> None:
    data = read_data(reference, argument=reference)
    if isinstance(data, Buildable):
        replacement = _as_partial(data, point, reference)
        for name, value in replacement.__arguments__.items():
            setattr(task, name, value)
        return
    if not isinstance(data, dict):
        raise ValueParseError("expected a mapping of arguments", argument=reference)
    data = dict(data)
    if "run" in data and "run" not in signature_info(point.fn).names:
        run_section = data.pop("run")
        if not isinstance(run_section, dict):
            raise ValueParseError("the 'run' section must be a mapping", argument=reference)
        apply_mapping(holder, run_section, argument=f"{reference}:run")
    factory_text = data.pop("_factory_", None)
    if factory_text is not None:
        replacement = _base_task(point, str(factory_text), holder)
        for name, value in replacement.__arguments__.items():
            setattr(task, name, value)
    apply_mapping(task, data, argument=reference)


def _context_holder(point: Entrypoint, options: Options) -> Config[Any]:
    flags = {name: getattr(options, name) for name in _CONTEXT_FLAGS}
    flags.update(to_yaml=options.to_yaml, to_toml=options.to_toml, to_json=options.to_json)
    flags["yaml"] = options.yaml[0] if options.yaml else None
    holder: Config[Any] = Config(point.run_ctx_cls, **flags)
    if point.default_executor is not None:
        holder.executor = point.default_executor
    if point.default_plugins is not None:
        plugins = point.default_plugins
        holder.plugins = list(plugins) if isinstance(plugins, (list, tuple)) else [plugins]
    return holder


def parse_invocation(
    point: Entrypoint, argv: Sequence[str], cmd_defaults: Mapping[str, Any] | None = None
) -> Invocation:
    """Parse a command line for `point` without running anything.

    Args:
        point: The entrypoint.
        argv: Arguments without the program name.
        cmd_defaults: Defaults of option fields (e.g. ``{"yes": True}``).

    Returns:
        The invocation.

    Raises:
        CLIError: Any usage error; the error names the argument.
    """
    return invocation_from_options(point, parse_options(argv, cmd_defaults))


def invocation_from_options(point: Entrypoint, options: Options) -> Invocation:
    """`parse_invocation` for options already parsed (``-m`` sweeps make one per combination).

    Raises:
        CLIError: Any usage error; the error names the argument.
    """
    if options.load is not None:
        raise CLIError(
            "--load is not supported (NeMo-Run does not implement it either)",
            argument="--load",
            hint="use --factory @file or --yaml FILE",
        )
    discover()
    keyed: list[Assignment] = []
    bases: list[str] = []
    for text in options.factories:
        token = parse_tokens([text])[0]
        if isinstance(token, Assignment) and not is_file_reference(text):
            keyed.append(token)
        else:
            bases.append(text)
    if len(bases) > 1:
        raise CLIError("only one base --factory may be given", argument=bases[1])
    task_tokens, run_tokens = _split_run_tokens(point, parse_tokens(options.overrides), keyed)
    holder = _context_holder(point, options)
    holder.factory = bases[0] if bases else None
    if options.lazy:
        return _lazy_invocation(
            point,
            options,
            holder=holder,
            bases=bases,
            task_tokens=task_tokens,
            run_tokens=run_tokens,
        )
    task = _base_task(point, bases[0] if bases else None, holder)
    for reference in options.yaml:
        _merge_file(
            task, holder, reference if is_file_reference(reference) else f"@{reference}", point
        )
    context_parameter = point.context_parameter
    skip = frozenset({context_parameter} if context_parameter else ())
    apply_overrides(task, task_tokens, skip_positional=skip)
    apply_overrides(holder, run_tokens, label_prefix=_RUN_PREFIX)
    try:
        context = build(holder)
    except ConfigError as error:
        raise CLIError(f"invalid run options: {error}", argument="run") from error
    return Invocation(point, task, context, options)


_LAZY_REFUSED = ("dryrun", "repl", "direct")


def _lazy_invocation(
    point: Entrypoint,
    options: Options,
    *,
    holder: Config[Any],
    bases: Sequence[str],
    task_tokens: Sequence[Assignment | Positional],
    run_tokens: Sequence[Assignment],
) -> Invocation:
    for flag in _LAZY_REFUSED:
        if getattr(options, flag):
            raise CLIError(
                f"--{flag} cannot be combined with --lazy (the task is not resolved here)",
                argument=f"--{flag}",
                hint="drop --lazy to resolve the task now",
            )
    if len(options.yaml) > 1:
        raise CLIError("--lazy takes at most one --yaml file", argument=options.yaml[1])
    lazy = LazyEntrypoint(
        point.fn,
        factory=bases[0] if bases else None,
        yaml=options.yaml[0] if options.yaml else None,
        overwrites=[str(token) for token in task_tokens],
    )
    apply_overrides(holder, run_tokens, label_prefix=_RUN_PREFIX)
    try:
        context = build(holder)
    except ConfigError as error:
        raise CLIError(f"invalid run options: {error}", argument="run") from error
    return Invocation(point, Partial(point.fn), context, options, lazy)


def check_required(invocation: Invocation) -> None:
    point = invocation.entrypoint
    info = signature_info(point.fn)
    arguments = invocation.task.__arguments__
    for name in info.names:
        if name == point.context_parameter or name in arguments:
            continue
        if info.defaults.get(name, NO_DEFAULT) is NO_DEFAULT:
            raise CLIError(
                f"missing required argument {name!r} for {point.name}()",
                argument=name,
                hint=f"add {name}=<value>",
            )


def _summary(invocation: Invocation) -> str:
    context = invocation.context
    lines = [f"{invocation.entrypoint.name}: {invocation.task!r}"]
    if invocation.entrypoint.enable_executor:
        where = describe(context.executor) if context.executor is not None else "this process"
        lines.append(f"executor: {where}")
        if context.plugins:
            lines.append(f"plugins: {describe(list(context.plugins))}")
    return "\n".join(lines)


class LaunchDeclined(Exception):  # noqa: N818 - an outcome, not a failure of the program
    """The launch was not confirmed: answered no, or nobody could answer (exit code 1)."""


class JobsFailedError(Exception):
    """Jobs of a sweep (``-m``) failed; the program exits with `code`.

    Attributes:
        code: A lone job's own exit code (1-255), else 1.
    """

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def confirm(invocation: Invocation) -> None:
    """Ask ``Launch? [y/N]`` unless told not to; raise `LaunchDeclined` unless answered yes.

    Without a terminal the answer is read from stdin all the same (``yes | nemorun ...``);
    an empty stdin declines, saying to pass ``--yes``.
    """
    context = invocation.context
    point = invocation.entrypoint
    launches = point.type == "experiment" or context.executor is not None
    if not launches or context.yes or point.skip_confirmation or context.dryrun:
        return
    if int(os.environ.get(EnvVar.WORLD_SIZE.value, "1") or "1") > 1:
        return
    print("Launch? [y/N] ", end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line and not (sys.stdin is not None and sys.stdin.isatty()):
        print(file=sys.stderr)
        raise LaunchDeclined(
            "not launched: no answer to 'Launch? [y/N]' (stdin is not a terminal); "
            "pass --yes to launch without asking"
        )
    if line.strip().lower() not in ("y", "yes"):
        raise LaunchDeclined("not launched (answered no)")


def _repl(invocation: Invocation) -> None:
    import importlib.util  # noqa: PLC0415 - only for --repl

    if importlib.util.find_spec("IPython") is None:
        raise CLIError("--repl needs IPython", argument="--repl", hint="pip install ipython")
    from IPython import embed  # type: ignore[import-not-found]  # noqa: PLC0415 - optional

    task = invocation.task
    context = invocation.context
    embed(user_ns={"task": task, "ctx": context, "build": build}, colors="neutral")


def _in_process(name: str, call: Callable[[], Any]) -> Any:
    """Run an entrypoint's function in this process; a failure of its own is a `JobsFailedError`.

    ``SystemExit(n)`` with n not 0 exits with n; any other error of the user's code exits
    with 1, its message on one line (the traceback is its cause: ``--verbose`` shows it).
    Errors of the layers that launch jobs (a failed job, a refused submit) pass through.
    """
    try:
        return call()
    except SystemExit as stop:
        if stop.code is None or stop.code == 0:
            raise
        if isinstance(stop.code, int):
            code = stop.code if 0 < stop.code < 256 else EXIT_FAILED
            raise JobsFailedError(f"{name} exited with code {stop.code}", code) from stop
        raise JobsFailedError(f"{name} exited: {stop.code}", EXIT_FAILED) from stop
    except Exception as error:
        if _failed_run_code(error) is not None:
            raise
        message = f"{name} failed: {type(error).__name__}: {error} (--verbose shows where)"
        raise JobsFailedError(message, EXIT_FAILED) from error


def _launch_task(invocation: Invocation) -> Any:
    context = invocation.context
    task = invocation.task
    if context.executor is None:
        if context.dryrun:
            return None
        return _in_process(invocation.entrypoint.name, build(task))
    from nr_experiment import run as run_task  # noqa: PLC0415 - the experiment layer is heavy

    return run_task(
        task,
        executor=context.executor,
        plugins=context.plugins or None,
        name=context.name or invocation.entrypoint.name,
        dryrun=context.dryrun,
        direct=context.direct,
        detach=context.detach,
        tail_logs=context.tail_logs,
    )


def run_invocation(invocation: Invocation) -> Any:
    """Export, dry-run, confirm and launch a parsed invocation.

    Args:
        invocation: From `parse_invocation`.

    Returns:
        What the function returned (in-process runs), the launch result (executor runs), or None
        (exports, dry runs, declined confirmation).

    Raises:
        CLIError: A missing required argument or an unusable option.
    """
    context = invocation.context
    exports = context.exports()
    lazy = invocation.lazy
    for target in exports:
        try:
            dotted = context.dotted_targets
            path = (
                dump(invocation.task, target, dotted_targets=dotted)
                if lazy is None
                else lazy.export(target, dotted_targets=dotted)
            )
        except ConfigError as error:
            raise CLIError(str(error), argument=target) from error
        print(f"Exported {invocation.entrypoint.name} to {path}", file=sys.stderr)
    if exports:
        return None
    if lazy is not None:
        invocation = dataclasses.replace(invocation, task=lazy.resolve(), lazy=None)
    check_required(invocation)
    if context.repl:
        _repl(invocation)
        return None
    if context.dryrun or context.executor is not None:
        print(_summary(invocation))
    confirm(invocation)
    if invocation.entrypoint.type == "experiment":
        parameter = invocation.entrypoint.context_parameter or "ctx"
        function = build(invocation.task)
        name = invocation.entrypoint.name
        with launched_jobs() as launched:
            result = _in_process(name, lambda: function(**{parameter: context}))
            failure = launched.failure()
        if failure is not None:
            raise JobsFailedError(f"{name}: {failure[0]}", failure[1])
        return result
    return _launch_task(invocation)


def _verbose(argv: Sequence[str]) -> bool:
    head = list(argv)[: list(argv).index("--")] if "--" in argv else list(argv)
    return "--verbose" in head or "-v" in head


def report(error: BaseException, *, verbose: bool) -> None:
    """Print a usage error on one line (with the traceback when `verbose`)."""
    if verbose:
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    message = error.user_message() if isinstance(error, CLIError) else str(error)
    print(f"error: {message}", file=sys.stderr)


def run_main(
    point: Entrypoint, argv: Sequence[str] | None, cmd_defaults: Mapping[str, Any] | None = None
) -> Any:
    """Run `point` with `argv` (default ``sys.argv[1:]``); usage errors exit with code 2.

    Args:
        point: The entrypoint.
        argv: Arguments without the program name.
        cmd_defaults: Defaults of option fields.

    A usage error, a declined launch, a failed job and Ctrl+C each end the program with one
    ``error:`` line on stderr and an exit code: 2 (usage), 1 (not launched), the job's own exit
    code (one failed job; else 1), 130 (interrupted). ``--verbose`` adds the traceback.

    Returns:
        See `run_invocation`; None after ``--help``.

    Raises:
        SystemExit: On any of the errors above.
    """
    from nr_cli.helptext import render_help  # noqa: PLC0415 - only for --help

    args = sys.argv[1:] if argv is None else list(argv)
    try:
        options = parse_options(args, cmd_defaults)
        if options.help:
            print(render_help(point))
            return None
        if options.multirun:
            from nr_cli.sweep import run_sweep  # noqa: PLC0415 - only for -m

            return run_sweep(point, options)
        return run_invocation(invocation_from_options(point, options))
    except (CLIError, ConfigError) as error:
        report(error, verbose=_verbose(args))
        _suggest_multirun(error, args)
        raise SystemExit(EXIT_USAGE) from None
    except LaunchDeclined as error:
        report(error, verbose=False)
        raise SystemExit(EXIT_FAILED) from None
    except JobsFailedError as error:
        report(error, verbose=_verbose(args))
        raise SystemExit(error.code) from None
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as error:
        code = _failed_run_code(error)
        if code is None:
            raise
        report(error, verbose=_verbose(args))
        raise SystemExit(code) from None


def _suggest_multirun(error: Exception, args: Sequence[str]) -> None:
    """After a value error on ``key=a,b`` without ``-m``: say how to sweep."""
    argument = getattr(error, "argument", "")
    if not isinstance(error, ValueParseError) or "--multirun" in args or "-m" in args:
        return
    from nr_cli.sweep import expand  # noqa: PLC0415 - only after an error

    try:
        sweeps = len(expand([argument])) > 1
    except CLIError:
        return
    if sweeps:
        print(f"hint: to run one job per value of {argument}, add -m (--multirun)", file=sys.stderr)


def _failed_run_code(error: Exception) -> int | None:
    """The exit code for a failed launch; None for an error of the user's own code.

    A `JobFailedError` exits with a lone job's own code (else 1); an error of the layers that
    launch (an unreachable cluster, a refused submit, a packaging error) exits with 1.
    """
    from nr_exec.errors import ExecError  # noqa: PLC0415 - loaded by the run already
    from nr_experiment.errors import ExperimentError, JobFailedError  # noqa: PLC0415
    from nr_package.errors import PackagingError  # noqa: PLC0415
    from nr_tunnel.errors import TunnelError  # noqa: PLC0415

    if isinstance(error, (ExecError, TunnelError, PackagingError)) or (
        isinstance(error, ExperimentError) and not isinstance(error, JobFailedError)
    ):
        return EXIT_FAILED
    if not isinstance(error, JobFailedError):
        return None
    jobs = error.result.jobs
    code = jobs[0].exit_code if len(jobs) == 1 else None
    return code if isinstance(code, int) and 0 < code < 256 else EXIT_FAILED


def _entrypoint_for(fn: Callable[..., Any], **kwargs: Any) -> Entrypoint:
    point = getattr(fn, ENTRYPOINT_ATTRIBUTE, None)
    if isinstance(point, Entrypoint):
        changes = {k: v for k, v in kwargs.items() if v is not None}
        return dataclasses.replace(point, **changes) if changes else point
    return Entrypoint(fn, **{k: v for k, v in kwargs.items() if v is not None})


def main(
    fn: Callable[..., Any],
    *,
    argv: Sequence[str] | None = None,
    default_factory: Callable[..., Any] | None = None,
    default_executor: Any = None,
    default_plugins: Any = None,
    cmd_defaults: Mapping[str, Any] | None = None,
    **entrypoint_kwargs: Any,
) -> Any:
    """Run a function as a command-line program.

    ``python train.py model.hidden_size=1024 --yes`` parses the arguments with the function's
    types, then runs it (in-process, or through ``run.executor=...``).

    Args:
        fn: The function (decorated with `entrypoint` or not).
        argv: Arguments without the program name (default: ``sys.argv[1:]``).
        default_factory: Overrides the entrypoint's default factory.
        default_executor: Overrides the entrypoint's default executor.
        default_plugins: Overrides the entrypoint's default plugins.
        cmd_defaults: Defaults of options, e.g. ``{"yes": True, "dryrun": True}``.
        **entrypoint_kwargs: Other `Entrypoint` fields (``type``, ``skip_confirmation``, ...).

    Returns:
        What the function returned for an in-process run; the launch result for executor runs;
        None for ``--help``, exports and dry runs.

    Raises:
        SystemExit: With code 2 on a usage error (a one-line message on stderr).
    """
    if lazy_cli_enabled():  # a LazyTarget is reading which entrypoint this script runs
        record_lazy_entrypoint(fn)
        return None
    point = _entrypoint_for(
        fn,
        default_factory=default_factory,
        default_executor=default_executor,
        default_plugins=default_plugins,
        **entrypoint_kwargs,
    )
    return run_main(point, argv, cmd_defaults)


def parse_cli_args(
    fn: Callable[..., Any], args: Sequence[str], output_type: type[Buildable[Any]] = Partial
) -> Buildable[Any]:
    """Apply command-line overrides to a function (or an existing configuration).

    Args:
        fn: A function or class, or a `Config`/`Partial` to edit (it is copied).
        args: Tokens such as ``["model.size=2", "lr*=0.5"]``.
        output_type: `Partial` or `Config` (when `fn` is a callable).

    Returns:
        The configuration.

    Raises:
        CLIError: The first token that cannot be applied.
    """
    discover()
    root = fn.clone() if isinstance(fn, Buildable) else output_type(fn)
    apply_overrides(root, args)
    return root


def parse_partial(fn: Callable[..., Any], *args: str) -> Partial[Any]:
    """``parse_cli_args(fn, args)`` as a `Partial`."""
    result = parse_cli_args(fn, args, Partial)
    assert isinstance(result, Partial)  # noqa: S101 - output_type is Partial
    return result


def parse_config(fn: Callable[..., Any], *args: str) -> Config[Any]:
    """``parse_cli_args(fn, args)`` as a `Config`."""
    result = parse_cli_args(fn, args, Config)
    assert isinstance(result, Config)  # noqa: S101 - output_type is Config
    return result
