"""Configuration objects for ML experiments: Config, Partial, Script, validation, serialization.

`Config` and `Partial` describe a call (a target plus validated arguments) that `build` performs;
`Script` describes a script task; `ConfigurableMixin` lets any dataclass describe itself as a
`Config`. Graphs of configurations can be edited by attribute or path, traversed (`walk`,
`broadcast`), compared (`diff`), drawn (`visualize`, `save_config_img`) and serialized (canonical
JSON, YAML, TOML and Python code; ``_target_`` in ``module:qualname`` or dotted form).

Names are loaded on first access (PEP 562), so ``import nr_config`` stays cheap: pydantic and the
validation layer are imported on first use, and the in-job runner's lean decoder
(`nr_config.serialization.direct`) imports nothing else of the package.
"""

import importlib

from nr_config.__about__ import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from nr_config.autoconversion import AutoConverted, autoconvert
    from nr_config.buildable import (
        Buildable,
        Config,
        OptionalDefaultConfig,
        OptionalDefaultPartial,
        Partial,
        dataclass_to_config,
        to_config,
    )
    from nr_config.building import build
    from nr_config.configurable import ConfigurableMixin
    from nr_config.diffing import MISSING, Change, diff, format_diff
    from nr_config.errors import (
        ArgumentError,
        BuildError,
        ConfigError,
        ConfigPathError,
        ConfigTypeError,
        DeserializationError,
        MissingArgumentError,
        MissingExtraError,
        RenderError,
        ScriptError,
        SerializationError,
        UnknownArgumentError,
    )
    from nr_config.paths import get_value, parse_path, set_value
    from nr_config.render import render_diff, save_config_img, tree, visualize
    from nr_config.script import Script
    from nr_config.serialization import (
        dump,
        dumps_json,
        dumps_toml,
        dumps_yaml,
        from_dict,
        load,
        loading_main_module,
        loads_json,
        loads_toml,
        loads_yaml,
        register_main_module,
        to_code,
        to_dict,
    )
    from nr_config.traversal import broadcast, clone, iter_nodes, walk

_LAZY = {
    "AutoConverted": "nr_config.autoconversion",
    "autoconvert": "nr_config.autoconversion",
    "Buildable": "nr_config.buildable",
    "Config": "nr_config.buildable",
    "OptionalDefaultConfig": "nr_config.buildable",
    "OptionalDefaultPartial": "nr_config.buildable",
    "Partial": "nr_config.buildable",
    "dataclass_to_config": "nr_config.buildable",
    "to_config": "nr_config.buildable",
    "build": "nr_config.building",
    "ConfigurableMixin": "nr_config.configurable",
    "MISSING": "nr_config.diffing",
    "Change": "nr_config.diffing",
    "diff": "nr_config.diffing",
    "format_diff": "nr_config.diffing",
    "ArgumentError": "nr_config.errors",
    "BuildError": "nr_config.errors",
    "ConfigError": "nr_config.errors",
    "ConfigPathError": "nr_config.errors",
    "ConfigTypeError": "nr_config.errors",
    "DeserializationError": "nr_config.errors",
    "MissingArgumentError": "nr_config.errors",
    "MissingExtraError": "nr_config.errors",
    "RenderError": "nr_config.errors",
    "ScriptError": "nr_config.errors",
    "SerializationError": "nr_config.errors",
    "UnknownArgumentError": "nr_config.errors",
    "get_value": "nr_config.paths",
    "parse_path": "nr_config.paths",
    "set_value": "nr_config.paths",
    "render_diff": "nr_config.render",
    "save_config_img": "nr_config.render",
    "tree": "nr_config.render",
    "visualize": "nr_config.render",
    "Script": "nr_config.script",
    "dump": "nr_config.serialization",
    "dumps_json": "nr_config.serialization",
    "dumps_toml": "nr_config.serialization",
    "dumps_yaml": "nr_config.serialization",
    "from_dict": "nr_config.serialization",
    "load": "nr_config.serialization",
    "loading_main_module": "nr_config.serialization",
    "loads_json": "nr_config.serialization",
    "loads_toml": "nr_config.serialization",
    "loads_yaml": "nr_config.serialization",
    "register_main_module": "nr_config.serialization",
    "to_code": "nr_config.serialization",
    "to_dict": "nr_config.serialization",
    "broadcast": "nr_config.traversal",
    "clone": "nr_config.traversal",
    "iter_nodes": "nr_config.traversal",
    "walk": "nr_config.traversal",
}

__all__ = [
    "MISSING",
    "ArgumentError",
    "AutoConverted",
    "BuildError",
    "Buildable",
    "Change",
    "Config",
    "ConfigError",
    "ConfigPathError",
    "ConfigTypeError",
    "ConfigurableMixin",
    "DeserializationError",
    "MissingArgumentError",
    "MissingExtraError",
    "OptionalDefaultConfig",
    "OptionalDefaultPartial",
    "Partial",
    "RenderError",
    "Script",
    "ScriptError",
    "SerializationError",
    "UnknownArgumentError",
    "__version__",
    "autoconvert",
    "broadcast",
    "build",
    "clone",
    "dataclass_to_config",
    "diff",
    "dump",
    "dumps_json",
    "dumps_toml",
    "dumps_yaml",
    "format_diff",
    "from_dict",
    "get_value",
    "iter_nodes",
    "load",
    "loading_main_module",
    "loads_json",
    "loads_toml",
    "loads_yaml",
    "parse_path",
    "register_main_module",
    "render_diff",
    "save_config_img",
    "set_value",
    "to_code",
    "to_config",
    "to_dict",
    "tree",
    "visualize",
    "walk",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nr_config' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
