"""Hello world: configure a function once, then build and call it.

Run it with ``hatch run hello`` (see the README). The experiment layer upgrades this example to a
real experiment on the local executor.
"""

from dataclasses import dataclass

import nemo_run as run


@dataclass
class Greeting:
    """Who to greet, and how often."""

    name: str = "world"
    times: int = 1


def greet(greeting: Greeting, punctuation: str = "!") -> str:
    """Return the greeting text."""
    return " ".join(f"Hello, {greeting.name}{punctuation}" for _ in range(greeting.times))


def main() -> None:
    task = run.Partial(greet, greeting=run.Config(Greeting, name="nemo-run"), punctuation="!")
    task.greeting.times = 2
    print(f"configured: {task!r}")
    print(task.build()())


if __name__ == "__main__":
    main()
