"""Serialization of configuration graphs: canonical dicts, JSON, YAML, TOML and Python code.

Names are loaded on first access (PEP 562), so importing one submodule (such as the in-job
runner's lean decoder, `nr_config.serialization.direct`) imports nothing else.
"""

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from nr_config.serialization.canonical import RESERVED_KEYS, from_dict, to_dict
    from nr_config.serialization.code import to_code
    from nr_config.serialization.formats import (
        dump,
        dumps_json,
        dumps_toml,
        dumps_yaml,
        load,
        loads_json,
        loads_toml,
        loads_yaml,
    )
    from nr_config.serialization.refs import loading_main_module, register_main_module

_LAZY = {
    "RESERVED_KEYS": "nr_config.serialization.canonical",
    "from_dict": "nr_config.serialization.canonical",
    "to_dict": "nr_config.serialization.canonical",
    "to_code": "nr_config.serialization.code",
    "dump": "nr_config.serialization.formats",
    "dumps_json": "nr_config.serialization.formats",
    "dumps_toml": "nr_config.serialization.formats",
    "dumps_yaml": "nr_config.serialization.formats",
    "load": "nr_config.serialization.formats",
    "loads_json": "nr_config.serialization.formats",
    "loads_toml": "nr_config.serialization.formats",
    "loads_yaml": "nr_config.serialization.formats",
    "loading_main_module": "nr_config.serialization.refs",
    "register_main_module": "nr_config.serialization.refs",
}

__all__ = [
    "RESERVED_KEYS",
    "dump",
    "dumps_json",
    "dumps_toml",
    "dumps_yaml",
    "from_dict",
    "load",
    "loading_main_module",
    "loads_json",
    "loads_toml",
    "loads_yaml",
    "register_main_module",
    "to_code",
    "to_dict",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nr_config.serialization' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
