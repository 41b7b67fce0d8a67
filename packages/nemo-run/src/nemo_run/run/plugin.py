"""``nemo_run.run.plugin``: NeMo-Run's module path of the experiment plugin base class."""

from nr_experiment import Plugin

#: NeMo-Run's name of :class:`Plugin`.
ExperimentPlugin = Plugin

__all__ = ["ExperimentPlugin", "Plugin"]
