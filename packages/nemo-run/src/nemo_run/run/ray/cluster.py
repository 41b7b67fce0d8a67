"""``nemo_run.run.ray.cluster``: ``RayCluster`` under NeMo-Run's import path."""

from nemo_run.run.ray import RayCluster

__all__ = ["RayCluster"]
