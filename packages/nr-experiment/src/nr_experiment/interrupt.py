"""What Ctrl+C does while a launcher waits for its jobs: ask, cancel, or leave them running."""

import sys
from typing import Literal

__all__ = ["INTERRUPT_POLICIES", "InterruptPolicy", "decide"]

InterruptPolicy = Literal["ask", "cancel", "leave"]
#: The accepted values of ``Experiment(on_interrupt=...)``.
INTERRUPT_POLICIES: tuple[str, ...] = ("ask", "cancel", "leave")


def decide(policy: InterruptPolicy) -> Literal["cancel", "leave"]:
    """Decide what to do with running jobs after Ctrl+C.

    ``"ask"`` prompts ``cancel running jobs? [y/N]`` when stdin is a terminal (a second Ctrl+C
    or end of input means no); without a terminal nobody can answer, so it cancels, leaving no
    orphaned jobs behind. ``"cancel"`` and ``"leave"`` decide without asking.

    Args:
        policy: ``"ask"``, ``"cancel"`` or ``"leave"``.

    Returns:
        ``"cancel"`` or ``"leave"``.
    """
    if policy != "ask":
        return policy
    if not sys.stdin or not sys.stdin.isatty():
        return "cancel"
    try:
        answer = input("\ncancel running jobs? [y/N] ")
    except (KeyboardInterrupt, EOFError):
        return "leave"
    return "cancel" if answer.strip().lower() in {"y", "yes"} else "leave"
