"""nr_config: import time, and construct / build / serialize / load a 10,000-node config graph.

The graph is a Partial holding 100 blocks of 99 layer configs each, plus one config shared by
every block (10,001 nodes). Times are the best of a few runs, in milliseconds.
"""

import dataclasses
import statistics
import subprocess
import sys
import time
import types

PROBE = "import time; t = time.perf_counter(); import nr_config; print(time.perf_counter() - t)"


@dataclasses.dataclass
class Layer:
    size: int = 1
    dropout: float = 0.0
    name: str = ""


@dataclasses.dataclass
class Block:
    layers: list[Layer]
    norm: Layer


def model(blocks: list[Block], width: int = 1) -> int:
    return len(blocks) * width


# The runner loads this file without registering it in sys.modules; serialized targets must be
# importable by module:qualname, so they are published under a registered module name.
TARGETS = types.ModuleType("nr_config_bench_targets")
for _target in (Layer, Block, model):
    _target.__module__ = TARGETS.__name__
    setattr(TARGETS, _target.__name__, _target)
sys.modules[TARGETS.__name__] = TARGETS


def make_graph():
    import nr_config as nc

    norm = nc.Config(Layer, size=7)
    blocks = [
        nc.Config(
            Block,
            layers=[nc.Config(Layer, size=i, dropout=0.1, name=f"l{i}") for i in range(99)],
            norm=norm,
        )
        for _ in range(100)
    ]
    return nc.Partial(model, blocks=blocks, width=4)


def best(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return round(min(times) * 1000, 1), result


def import_ms(repeats: int) -> dict[str, float]:
    def sample() -> float:
        out = subprocess.run(
            [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
        ).stdout
        return float(out) * 1000

    sample()
    samples = [sample() for _ in range(repeats)]
    return {"median_ms": round(statistics.median(samples), 1), "min_ms": round(min(samples), 1)}


def run(quick: bool) -> dict[str, object]:
    import nr_config as nc

    repeats = 1 if quick else 3
    results: dict[str, object] = {"import": import_ms(3 if quick else 11)}
    construct_ms, graph = best(make_graph, repeats)
    nodes = sum(1 for _ in nc.iter_nodes(graph))
    build_ms, _ = best(graph.build, repeats)
    text_holder: dict[str, str] = {}

    def dumps() -> str:
        text_holder["json"] = nc.dumps_json(graph, indent=None)
        return text_holder["json"]

    dumps_ms, _ = best(dumps, repeats)
    loads_ms, loaded = best(lambda: nc.loads_json(text_holder["json"]), repeats)
    assert loaded == graph
    results.update(
        nodes=nodes,
        construct_ms=construct_ms,
        build_ms=build_ms,
        dumps_json_ms=dumps_ms,
        loads_json_ms=loads_ms,
        json_bytes=len(text_holder["json"]),
    )
    if not quick:
        results["dumps_yaml_ms"], text = best(lambda: nc.dumps_yaml(graph), 1)
        results["loads_yaml_ms"], _ = best(lambda: nc.loads_yaml(text), 1)
        results["to_code_ms"], _ = best(lambda: nc.to_code(graph), 1)
    return results
