"""NeMo-Run's ``nemo_run.run`` package path, kept for ``from nemo_run.run.ray import RayCluster``.

``run.run`` stays the ``run`` function (see the façade's module type); this package only holds
the ``ray`` compatibility modules.
"""

__all__: list[str] = []
