"""NeMo-Run's ``nemo_run.run`` package path, kept for users' existing imports.

``from nemo_run.run.ray import RayCluster``, ``from nemo_run.run.experiment import Experiment``,
``from nemo_run.run.job import Job, JobGroup`` and ``from nemo_run.run.plugin import
ExperimentPlugin`` work as in NeMo-Run. ``run.run`` stays the ``run`` function (see the façade's
module type); this package only holds the compatibility modules.
"""

__all__: list[str] = []
