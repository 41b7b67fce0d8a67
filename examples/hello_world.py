"""Hello world: a two-job experiment on the local executor.

Run it with ``hatch run hello`` (see the README). A ``Partial`` greets; an inline ``Script``
runs once the greeting succeeded (a dependency). The script prints the experiment id and
where its metadata lives, and the ids as one JSON line (for scripts that launch it).
"""

import json
import time
from dataclasses import dataclass

import nemo_run as run


@dataclass
class Greeting:
    """Who to greet, and how often."""

    name: str = "world"
    times: int = 1


def greet(greeting: Greeting, punctuation: str = "!") -> None:
    """Print the greeting."""
    print(" ".join(f"Hello, {greeting.name}{punctuation}" for _ in range(greeting.times)))


def main() -> None:
    started = time.perf_counter()
    task = run.Partial(greet, greeting=run.Config(Greeting, name="nemo-run"), punctuation="!")
    task.greeting.times = 2
    script = run.Script(inline='echo "the greeting job succeeded; this script ran after it"')
    with run.Experiment("hello-world", executor=run.LocalExecutor()) as exp:
        greeting = exp.add(task, name="greet", tail_logs=True)
        exp.add(script, name="after-greet", dependencies=[greeting], tail_logs=True)
        exp.run()
    elapsed = time.perf_counter() - started
    states = exp.status(return_dict=True) or {}
    print(f"experiment id: {exp.id}")
    print(f"metadata:      {exp.path}")
    print(f"took {elapsed:.2f} s")
    print(
        json.dumps({"experiment_id": exp.id, "jobs": {k: v["status"] for k, v in states.items()}})
    )


if __name__ == "__main__":
    main()
