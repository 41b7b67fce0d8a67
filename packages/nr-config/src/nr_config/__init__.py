"""Configuration objects for ML experiments: Config, Partial, Script, validation, serialization.

`Config` and `Partial` describe a call (a target plus validated arguments) that `build` performs;
`Script` describes a script task; `ConfigurableMixin` lets any dataclass describe itself as a
`Config`. Graphs of configurations can be edited by attribute or path, traversed (`walk`,
`broadcast`), compared (`diff`), drawn (`visualize`, `save_config_img`) and serialized (canonical
JSON, YAML, TOML and Python code; ``_target_`` in ``module:qualname`` or dotted form).
"""

from nr_config.__about__ import __version__
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
