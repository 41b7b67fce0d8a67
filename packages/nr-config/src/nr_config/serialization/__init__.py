"""Serialization of configuration graphs: canonical dicts, JSON, YAML, TOML and Python code."""

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
